import { useEffect, useRef, useState } from "hono/jsx/dom";
import { FieldError, type Invalid, marked } from "./invalid.tsx";

const MAX_UNDO = 30;

/** What the page asks the painter for: the mask to send, or null when nothing is painted. */
export interface MaskHandle {
  toBlob(): Promise<Blob | null>;
}

/**
 * A mask painter over `src` (the first image), at the image's exact pixel size. Painted areas are
 * the ones to edit: the mask sent is a PNG, opaque where the image stays and fully transparent
 * where it was painted, as the images API expects. Pointer painting, plus the keyboard: arrow
 * keys move the brush, Space paints a dab.
 */
export function MaskPainter({
  src,
  handle,
  invalid,
}: {
  src: string;
  handle: (h: MaskHandle) => void;
  /** a refusal, marked on the painter when it names the mask */
  invalid: Invalid | null;
}) {
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const [brush, setBrush] = useState(48);
  const [eraser, setEraser] = useState(false);
  const [undoCount, setUndoCount] = useState(0);
  const undo = useRef<ImageData[]>([]);
  const last = useRef<{ x: number; y: number } | null>(null);
  const cursor = useRef<{ x: number; y: number }>({ x: 0, y: 0 });
  const painted = useRef(false);

  useEffect(() => {
    const img = new Image();
    img.onload = () => {
      setSize({ w: img.naturalWidth, h: img.naturalHeight });
      cursor.current = { x: img.naturalWidth / 2, y: img.naturalHeight / 2 };
    };
    img.src = src;
    undo.current = [];
    setUndoCount(0);
    painted.current = false;
  }, [src]);

  const ctx = () => canvas.current?.getContext("2d") ?? null;

  useEffect(() => {
    handle({
      toBlob: async () => {
        const c = canvas.current;
        if (!c || !painted.current || !hasPaint(c)) return null;
        const out = document.createElement("canvas");
        out.width = c.width;
        out.height = c.height;
        const o = out.getContext("2d");
        if (!o) return null;
        o.fillStyle = "#000";
        o.fillRect(0, 0, out.width, out.height);
        o.globalCompositeOperation = "destination-out";
        o.drawImage(c, 0, 0);
        return new Promise<Blob | null>((ok) => out.toBlob(ok, "image/png"));
      },
    });
  }, [size]);

  const snapshot = () => {
    const c = canvas.current;
    const g = ctx();
    if (!c || !g) return;
    undo.current.push(g.getImageData(0, 0, c.width, c.height));
    if (undo.current.length > MAX_UNDO) undo.current.shift();
    setUndoCount(undo.current.length);
  };

  const scale = () => {
    const c = canvas.current;
    if (!c) return 1;
    return c.width / c.getBoundingClientRect().width;
  };

  const at = (e: PointerEvent) => {
    const c = canvas.current as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    const s = c.width / r.width;
    return { x: (e.clientX - r.left) * s, y: (e.clientY - r.top) * s };
  };

  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const g = ctx();
    if (!g) return;
    g.globalCompositeOperation = eraser ? "destination-out" : "source-over";
    g.strokeStyle = "rgba(255, 40, 90, 1)";
    g.lineCap = "round";
    g.lineJoin = "round";
    g.lineWidth = brush * scale();
    g.beginPath();
    g.moveTo(from.x, from.y);
    g.lineTo(to.x + 0.01, to.y);
    g.stroke();
    if (!eraser) painted.current = true;
  };

  const down = (e: PointerEvent) => {
    e.preventDefault();
    (e.target as Element).setPointerCapture(e.pointerId);
    snapshot();
    const p = at(e);
    last.current = p;
    stroke(p, p);
  };
  const move = (e: PointerEvent) => {
    if (!last.current) return;
    const p = at(e);
    stroke(last.current, p);
    last.current = p;
  };
  const up = () => {
    last.current = null;
  };

  const key = (e: KeyboardEvent) => {
    const step = Math.max(8, brush / 2) * scale();
    const c = cursor.current;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const m = moves[e.key];
    if (m && size) {
      e.preventDefault();
      const next = { x: clamp(c.x + m[0], 0, size.w), y: clamp(c.y + m[1], 0, size.h) };
      if (e.shiftKey) stroke(c, next);
      cursor.current = next;
    } else if (e.key === " ") {
      e.preventDefault();
      snapshot();
      stroke(c, c);
    }
  };

  const invert = () => {
    const c = canvas.current;
    const g = ctx();
    if (!c || !g) return;
    snapshot();
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    copy.getContext("2d")?.drawImage(c, 0, 0);
    g.globalCompositeOperation = "source-over";
    g.clearRect(0, 0, c.width, c.height);
    g.fillStyle = "rgba(255, 40, 90, 1)";
    g.fillRect(0, 0, c.width, c.height);
    g.globalCompositeOperation = "destination-out";
    g.drawImage(copy, 0, 0);
    painted.current = true;
  };
  const clear = () => {
    const c = canvas.current;
    snapshot();
    if (c) ctx()?.clearRect(0, 0, c.width, c.height);
  };
  const undoOne = () => {
    const data = undo.current.pop();
    setUndoCount(undo.current.length);
    if (data) ctx()?.putImageData(data, 0, 0);
  };

  return (
    <fieldset class="mask">
      <legend>Mask: paint where the first image should change</legend>
      <div class="mask-tools">
        <label for="mask-brush">Brush size</label>
        <input
          id="mask-brush"
          type="range"
          min={4}
          max={200}
          value={brush}
          onInput={(e: Event) => setBrush(Number((e.target as HTMLInputElement).value))}
        />
        <button type="button" aria-pressed={eraser ? "true" : "false"} onClick={() => setEraser(!eraser)}>
          Eraser
        </button>
        <button type="button" onClick={invert}>
          Invert
        </button>
        <button type="button" onClick={clear}>
          Clear
        </button>
        <button type="button" onClick={undoOne} disabled={undoCount === 0}>
          Undo
        </button>
      </div>
      <div class="mask-stage">
        <img src={src} alt="First image, under the mask" />
        {size && (
          <canvas
            ref={canvas}
            id="edit-mask"
            {...marked("edit-mask", "mask", invalid)}
            width={size.w}
            height={size.h}
            tabindex={0}
            role="img"
            aria-label="Mask painter: drag to paint; arrow keys move the brush, Shift+arrow paints, Space paints a dab"
            onPointerDown={down}
            onPointerMove={move}
            onPointerUp={up}
            onPointerCancel={up}
            onKeyDown={key}
          />
        )}
      </div>
      <FieldError id="edit-mask" field="mask" invalid={invalid} />
    </fieldset>
  );
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Whether any pixel of the paint layer is painted. */
function hasPaint(c: HTMLCanvasElement): boolean {
  const data = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data;
  if (!data) return false;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}
