// `import text from "./file?raw"` (Vite): a file's text, for tests that check docs and config
// against the code.
declare module "*?raw" {
  const text: string;
  export default text;
}
