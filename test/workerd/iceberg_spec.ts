/**
 * The Iceberg REST catalog OpenAPI document (testdata/iceberg-rest-catalog-open-api.yaml, copied
 * verbatim from apache/iceberg) as a response validator: a catalog answer is checked against the
 * schema the spec gives for that route, method and status, resolved in the spec itself.
 */
import specText from "../../testdata/iceberg-rest-catalog-open-api.yaml?raw";
import { parse } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";

const SPEC_ID = "iceberg-rest-catalog-open-api.yaml";
const spec = parse(specText) as { paths: Record<string, Record<string, any>>; components: any };
// strict: false because the document mixes OpenAPI keywords (nullable, example, discriminator)
// into its JSON schemas; formats (int64, uri, duration…) are annotations for this check.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(spec as object, SPEC_ID);

function resolve(node: any): any {
  while (node && typeof node.$ref === "string") {
    const parts = node.$ref.replace(/^#\//, "").split("/");
    node = parts.reduce((n: any, p: string) => n?.[p.replace(/~1/g, "/").replace(/~0/g, "~")], spec);
  }
  return node;
}

/** `/v1/namespaces/{namespace}` → the spec's `/v1/{prefix}/namespaces/{namespace}` (no prefix is set). */
function specPath(template: string): string {
  return template === "/v1/config" ? template : template.replace(/^\/v1\//, "/v1/{prefix}/");
}

/** The JSON-pointer (within the spec) of the response schema for `method template status`. */
export function responseSchemaRef(method: string, template: string, status: number): string {
  const path = specPath(template);
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`The spec has no ${method} ${path}`);
  const responses = op.responses as Record<string, any>;
  const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => k in responses);
  if (!key) throw new Error(`The spec lists no ${status} response for ${method} ${path}`);
  const raw = responses[key];
  const schema = resolve(raw)?.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`The spec's ${status} response of ${method} ${path} has no JSON schema`);
  if (schema.$ref) return `${SPEC_ID}${schema.$ref}`;
  const base = raw.$ref ??
    `#/paths/${path.replace(/~/g, "~0").replace(/\//g, "~1")}/${method.toLowerCase()}/responses/${key}`;
  return `${SPEC_ID}${base}/content/application~1json/schema`;
}

/** The response statuses the spec lists for `method path` (path as written in the spec), or null. */
export function specStatuses(method: string, path: string): string[] | null {
  const op = spec.paths[path]?.[method.toLowerCase()];
  return op ? Object.keys(op.responses) : null;
}

/** Every operation of the spec as `[METHOD, path as the spec writes it]`, in the document's order. */
export function specOperations(): [string, string][] {
  const methods = ["get", "head", "post", "put", "delete", "patch"];
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    methods.filter((m) => m in item).map((m): [string, string] => [m.toUpperCase(), path])
  );
}

/** Validates `body` against a named component schema; returns the errors (empty when valid). */
export function schemaErrors(componentName: string, body: unknown): string[] {
  return validateRef(`${SPEC_ID}#/components/schemas/${componentName}`, body);
}

/** Validates a response body against the spec's schema for that route and status. */
export function responseErrors(method: string, template: string, status: number, body: unknown): string[] {
  return validateRef(responseSchemaRef(method, template, status), body);
}

function validateRef(ref: string, body: unknown): string[] {
  const validate = ajv.getSchema(ref);
  if (!validate) throw new Error(`No schema at ${ref}`);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
