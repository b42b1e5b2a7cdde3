/** A control the Worker or the page refused: marked, its message beside it, focused. */
import { useEffect, useRef, useState } from "hono/jsx/dom";
import type { Settings } from "./run.ts";

/** The field a refusal names, by its wire name (`image[2]` is the images' picker), and why. */
export interface Invalid {
  field: string;
  message: string;
}

/** Each wire field's control, after the page's id prefix (`gen-format`, `edit-images`). */
const CONTROL: Record<keyof Settings | "image" | "mask", string> = {
  prompt: "prompt",
  model: "model",
  size: "size",
  quality: "quality",
  output_format: "format",
  output_compression: "compression",
  background: "background",
  n: "n",
  image: "images",
  mask: "mask",
};

/** A refusal of wire field `param` (`image[1]`, `images[0].image_url` and `image[]` are the images). */
export function invalidOf(param: string, message: string): Invalid | null {
  const field = param.replace(/^images?\b.*$/, "image");
  return field in CONTROL ? { field, message } : null;
}

/** The id of the control for `field` on the page whose ids start with `prefix`. */
export const controlId = (prefix: string, field: keyof typeof CONTROL) => `${prefix}-${CONTROL[field]}`;

/**
 * Attributes of a control for `field`: `aria-invalid` and the message's id in `aria-describedby`
 * (after `describedBy`, its own description) when the refusal names it.
 */
export function marked(id: string, field: string, invalid: Invalid | null, describedBy?: string) {
  const bad = invalid?.field === field;
  const ids = [describedBy, bad ? `${id}-error` : ""].filter(Boolean).join(" ");
  return { "aria-invalid": bad ? ("true" as const) : undefined, "aria-describedby": ids || undefined };
}

/** The refusal's message beside the control for `field`; nothing when it names another. */
export function FieldError({ id, field, invalid }: { id: string; field: string; invalid: Invalid | null }) {
  if (invalid?.field !== field) return null;
  return (
    <p id={`${id}-error`} class="field-error">
      {invalid.message}
    </p>
  );
}

/**
 * The page's own refusals (a check before sending) over the run's (the Worker's 400): the banner's
 * text and the refused field, whose control is focused each time a new refusal names it.
 */
export function useRefusals(prefix: string, fromRun: Invalid | null) {
  const [own, setOwn] = useState<{ text: string; invalid: Invalid | null }>({ text: "", invalid: null });
  const invalid = own.text ? own.invalid : fromRun;
  const focused = useRef<Invalid | null>(null);
  useEffect(() => {
    if (!invalid || invalid === focused.current) return;
    focused.current = invalid;
    document.getElementById(controlId(prefix, invalid.field as keyof typeof CONTROL))?.focus();
  }, [invalid]);
  /** Says `text` in the banner and beside the control for `field`; "" clears it. */
  const refuse = (text: string, field?: string) =>
    setOwn({ text, invalid: field && text ? invalidOf(field, text) : null });
  return { formError: own.text, invalid, refuse };
}
