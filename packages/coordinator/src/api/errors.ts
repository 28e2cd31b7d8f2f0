import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";

// Every error leaves the coordinator in OpenAI's shape, so the official clients surface it as-is:
// {"error": {"message", "type", "param", "code"}}, with `param` naming the offending field.

export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error"
  | "service_unavailable";

export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

/** An error with its HTTP status, thrown by handlers and rendered by the error handler. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    message: string,
    options: { type?: ApiErrorType; param?: string; code?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.statusCode = statusCode;
    this.type = options.type ?? typeForStatus(statusCode);
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function typeForStatus(status: number): ApiErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "service_unavailable";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.statusCode).headers(error.headers).send(error.body());
}

/** `/messages/0/role` → `messages[0].role` (OpenAI's spelling of a field path). */
export function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer.split("/").filter((part) => part !== "");
  if (extra !== undefined) parts.push(extra);
  let path = "";
  for (const part of parts) {
    const name = part.replaceAll("~1", "/").replaceAll("~0", "~");
    path += /^\d+$/.test(name) ? `[${name}]` : path === "" ? name : `.${name}`;
  }
  return path;
}

/** Turns Fastify's own errors (schema validation, JSON parsing, body size, media type) into ApiErrors. */
export function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  const first = error.validation?.[0];
  if (first !== undefined) {
    const params = first.params as Record<string, unknown>;
    const missing = typeof params.missingProperty === "string" ? params.missingProperty : undefined;
    const extra = typeof params.additionalProperty === "string" ? params.additionalProperty : undefined;
    const where = error.validationContext ?? "body";
    const param = fieldPath(first.instancePath, missing ?? extra);
    const message =
      missing !== undefined
        ? `${where}: '${param}' is required`
        : extra !== undefined
          ? `${where}: unknown field '${param}'`
          : `${where}: '${param || where}' ${first.message ?? "is invalid"}`;
    return new ApiError(400, message, { param: param || where, code: "invalid_value" });
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, "request body is too large", { code: "body_too_large" });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "send the body as application/json", { code: "unsupported_media_type" });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, "the JSON body is empty", { code: "invalid_json" });
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, `the body is not valid JSON: ${error.message}`, { code: "invalid_json" });
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new ApiError(400, `the body is not valid JSON: ${error.message}`, { code: "invalid_json" });
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError(error.statusCode, error.message, { code: error.code?.toLowerCase() });
  }
  return new ApiError(500, "internal error", { code: "internal_error" });
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.statusCode >= 500) request.log.error({ err: error }, "request failed");
    return sendError(reply, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ApiError(404, `no route ${request.method} ${request.url.split("?")[0]}`, { code: "unknown_route" }),
    ),
  );
}
