export { FaultQueue, parseFaultHeader } from "./faults.ts";
export { MODELS } from "./models.ts";
export { FORBIDDEN_WORD } from "./params.ts";
export { FAULT_FIELD, FAULT_HEADER, startOfflineProvider } from "./server.ts";
export type {
  FaultKind,
  FaultSpec,
  OfflineProvider,
  OfflineProviderOptions,
  OutputFormat,
  RecordedRequest,
} from "./types.ts";
