import { timingSafeEqual } from "../../lib/tokens.ts";
import { fail, OK, type Verified } from "../verify.ts";

/**
 * Telegram: the `X-Telegram-Bot-Api-Secret-Token` header equals the secret set with setWebhook
 * (both hashed before comparing, so the timing tells nothing of the secret's length or content).
 */
export const verifyTelegram = async (p: { secret: string | undefined; header: string | null }): Promise<Verified> => {
  if (!p.secret) return fail("TELEGRAM_SECRET_TOKEN is not set");
  if (!p.header) return fail("missing X-Telegram-Bot-Api-Secret-Token");
  return (await timingSafeEqual(p.header, p.secret)) ? OK : fail("bad Telegram secret token");
};
