import type { Child } from "hono/jsx";

/** A column: its header text, read aloud only when `hidden` (an actions column). */
export interface Column {
  label: string;
  hidden?: boolean;
}

/**
 * The console's tables (usage, tokens): a caption naming the table, column headers, one row per
 * item. Wrapped in a region that scrolls sideways on a phone, focusable so the keyboard scrolls it.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  cells,
  rowAttrs,
}: {
  caption: string;
  columns: Column[];
  rows: T[];
  cells: (row: T) => Child[];
  rowAttrs?: (row: T) => Record<string, string>;
}) {
  return (
    <section class="table-wrap" aria-label={caption} tabindex={0}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col">{c.hidden ? <span class="sr-only">{c.label}</span> : c.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr {...(rowAttrs?.(r) ?? {})}>
              {cells(r).map((cell) => (
                <td>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
