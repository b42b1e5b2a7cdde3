/** Request bodies and files downloaded from chat platforms are read through core's bounded reader. */
export { readAtMost } from "@gptimg/core";
