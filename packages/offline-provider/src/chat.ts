import { invalid, missing } from "./errors.ts";
import { spoilBase64 } from "./images.ts";
import { checkEditInputs } from "./inputs.ts";
import { checkPrompt, parseImageParams } from "./params.ts";
import { renderImage } from "./render.ts";
import { json, type Mutations, type Reply } from "./reply.ts";
import { textTokens, usageFor } from "./usage.ts";

interface ChatPart {
  type?: string;
  text?: string;
  image_url?: string | { url?: string };
}

/** Text and data-URL images of the last user message. */
function lastUserMessage(messages: unknown): { text: string; images: Buffer[] } {
  if (!Array.isArray(messages) || messages.length === 0) throw missing("messages");
  const user = [...messages].reverse().find((m) => (m as { role?: string })?.role === "user") as
    | { content?: string | ChatPart[] }
    | undefined;
  if (!user) throw invalid("messages", "Invalid 'messages': expected at least one message with role 'user'.");
  if (typeof user.content === "string") return { text: user.content, images: [] };
  if (!Array.isArray(user.content))
    throw invalid("messages", "Invalid 'messages': user content must be a string or an array of parts.");
  const text = user.content
    .filter((p) => p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join("\n");
  const images: Buffer[] = [];
  for (const part of user.content) {
    if (part.type !== "image_url") continue;
    const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
    const m = typeof url === "string" ? /^data:[^;,]+;base64,(.*)$/s.exec(url) : null;
    if (!m)
      throw invalid(
        "messages",
        "Invalid image_url: only data:…;base64 URLs are supported offline.",
        "invalid_image_url",
      );
    images.push(Buffer.from(m[1]!, "base64"));
  }
  return { text, images };
}

/**
 * `POST /v1/chat/completions` for chat-only image endpoints: the assistant message carries the
 * image as a markdown data URL and in `message.images[]`.
 */
export async function handleChat(fields: Record<string, unknown>, mutations: Mutations): Promise<Reply> {
  const { text, images } = lastUserMessage(fields.messages);
  const model = typeof fields.model === "string" && fields.model ? fields.model : "gpt-image-2";
  checkPrompt(text, 32000);
  const inputs = images.length
    ? await checkEditInputs(images.map((bytes, i) => ({ field: "image", filename: `image_${i + 1}`, type: "", bytes })))
    : { images: [] };
  const first = inputs.images[0];
  const p = parseImageParams(
    {
      model,
      prompt: text,
      size: fields.size,
      quality: fields.quality,
      output_format: fields.output_format ?? fields.format,
    },
    { defaultModel: model, fallbackSize: first ? [first.width, first.height] : [1024, 1024] },
  );
  const bytes = await renderImage({
    width: p.width,
    height: p.height,
    format: p.format,
    seed: `${p.prompt}#0`,
    noise: mutations.noise,
    compression: p.compression,
  });
  const b64 = mutations.invalidBase64 ? spoilBase64(bytes.toString("base64")) : bytes.toString("base64");
  const dataUrl = `data:image/${p.format};base64,${b64}`;
  const usage = usageFor({
    prompt: text,
    quality: "medium",
    width: p.width,
    height: p.height,
    n: 1,
    inputImages: inputs.images,
  });
  return json(200, {
    id: `chatcmpl-${Math.random().toString(36).slice(2, 14)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: `Here is your image.\n\n![image](${dataUrl})`,
          images: [{ type: "image_url", image_url: { url: dataUrl } }],
        },
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: textTokens(text) + usage.input_tokens_details.image_tokens,
      completion_tokens: usage.output_tokens,
      total_tokens: usage.total_tokens,
    },
  });
}
