/**
 * Edit inputs as the Worker holds them: a Blob parsed from a multipart form (up to 50 MB of them
 * per edit, against an isolate limit of 128 MB), or bytes a chat bot downloaded. Both are
 * hashed here without a second whole copy (core's `inspectImageData` reads their heads).
 */
import { sha256Hex, toHex } from "./tokens.ts";

/** An edit input or mask: a form's file, or bytes in hand. */
export type InputData = Blob | Uint8Array;

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
