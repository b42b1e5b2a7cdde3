import { discord } from "./discord/index.ts";
import { feishu } from "./feishu/index.ts";
import type { ChatPlatform } from "./platform.ts";
import { slack } from "./slack/index.ts";
import { telegram } from "./telegram/index.ts";

/**
 * Every chat platform the Worker serves: the webhook router mounts each one's route, the job
 * Workflow delivers through each one's `deliver`, `/openapi.json` lists each one. A new platform
 * is a folder (see platform.ts) plus one line here.
 */
export const PLATFORMS: readonly ChatPlatform<never>[] = [slack, discord, telegram, feishu];

/** The registered platforms' names, in order. */
export const PLATFORM_NAMES: readonly string[] = PLATFORMS.map((p) => p.name);

/** The platform named `name`, if registered. */
export const platformNamed = (name: string): ChatPlatform<never> | undefined => PLATFORMS.find((p) => p.name === name);
