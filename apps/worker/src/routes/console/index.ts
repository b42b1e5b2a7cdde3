export { historyRouter } from "./history.ts";
export { CONSOLE_CSP, pagesRouter, SECURITY_HEADERS } from "./pages.ts";
export { sessionRouter } from "./session.ts";
