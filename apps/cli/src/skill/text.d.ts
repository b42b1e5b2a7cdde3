/** Text files embedded in the binary at build time (`import x from "./f.md" with { type: "text" }`). */
declare module "*.md" {
  const text: string;
  export default text;
}
