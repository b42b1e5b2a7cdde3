/**
 * Edit inputs as the Worker holds them: a Blob parsed from a multipart form (up to 50 MB of them
 * per edit, against an isolate limit of 128 MB), or bytes a chat bot downloaded. Both are read
 * here without a second whole copy.
 */
import { type ImageInfo, inspectImage, type NotAnImage } from "@gptimg/core";
import { sha256Hex, toHex } from "./tokens.ts";

/** An edit input or mask: a form's file, or bytes in hand. */
export type InputData = Blob | Uint8Array;

/** Enough of a PNG, WebP or GIF, and of most JPEGs, to read its format and size. */
export const HEAD_BYTES = 64 * 1024;

/**
 * Format and size of an edit input from its head, so a 50 MB file parsed from the form is not
 * copied whole beside itself; a JPEG whose frame header sits behind large metadata is read whole.
 * @example
 * const info = await inspectInput(file); // { ok: true, format: "png", width: 1024, height: 1024, … }
 */
export async function inspectInput(data: InputData): Promise<ImageInfo | NotAnImage> {
  if (data instanceof Uint8Array) return inspectImage(data);
  const head = inspectImage(new Uint8Array(await data.slice(0, HEAD_BYTES).arrayBuffer()));
  return head.ok || data.size <= HEAD_BYTES ? head : inspectImage(new Uint8Array(await data.arrayBuffer()));
}

/**
 * Lower-case hex SHA-256 of an input. A Blob is streamed through workerd's `DigestStream`, so a
 * 50 MB file is hashed without a copy of it in memory; bytes in hand are digested as they are.
 * Both give the same hex for the same content.
 * @example
 * await dataSha256Hex(file) === await dataSha256Hex(new Uint8Array(await file.arrayBuffer())) // true
 */
export async function dataSha256Hex(data: InputData): Promise<string> {
  if (data instanceof Uint8Array) return sha256Hex(data);
  const digest = new crypto.DigestStream("SHA-256");
  await data.stream().pipeTo(digest);
  return toHex(await digest.digest);
}
