import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_WORD } from "../../../../../packages/offline-provider/src/params.ts";
import { memberToken, providerPerTest } from "../../../test/gateway-support.ts";
import { sdkClient } from "../../../test/sdk-client.ts";

const start = providerPerTest();

/** The Worker's record of a request, as the member reads it. */
interface JobView {
  id: string;
  status: string;
  error: { code: string } | null;
}

describe("x-request-id: the SDK's request id names the request's job", () => {
  it("a generation's request_id is its job, which GET /v1/jobs/:id shows succeeded", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-reqid" });
    const client = sdkClient(token);
    const { data, request_id } = await client.images
      .generate({ prompt: "a lighthouse", size: "1024x1024", quality: "low" })
      .withResponse();
    expect(data.data).toHaveLength(1);
    expect(request_id).toMatch(/^job_/);
    const job = await client.get<JobView>(`/jobs/${request_id}`);
    expect(job).toMatchObject({ id: request_id, status: "succeeded" });
  });

  it("a streamed generation's response carries it too", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-reqid" });
    const client = sdkClient(token);
    const { data: stream, request_id } = await client.images
      .generate({ prompt: "a boat", size: "1024x1024", quality: "low", stream: true })
      .withResponse();
    for await (const _ of stream);
    const job = await client.get<JobView>(`/jobs/${request_id}`);
    expect(job).toMatchObject({ id: request_id, status: "succeeded" });
  });

  it("a provider refusal's APIError.requestID is the failed job, which records the same error", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-reqid" });
    const client = sdkClient(token);
    const e = await client.images.generate({ prompt: `a ${FORBIDDEN_WORD}` }).then(
      () => expect.fail("the provider refused it"),
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    const { requestID, code } = e as InstanceType<typeof OpenAI.BadRequestError>;
    expect(code).toBe("content_policy");
    const job = await client.get<JobView>(`/jobs/${requestID}`);
    expect(job).toMatchObject({ id: requestID, status: "failed", error: { code: "content_policy" } });
  });

  it("a request refused before it has a job has none", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-reqid" });
    const e = await sdkClient(token)
      .images.generate({ prompt: "x", n: 11 })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).requestID).toBeNull();
  });
});
