/**
 * The human-readable API page (`/docs`): the OpenAPI document rendered as plain HTML, with no
 * script, so it needs nothing from a CDN and passes the strictest CSP.
 */

interface OperationLike {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  responses?: Record<string, { description?: string }>;
}

export interface DocumentLike {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, OperationLike>>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function describeSchema(schema: Record<string, unknown> | undefined): string {
  if (!schema) return "";
  if (Array.isArray(schema.enum)) return schema.enum.join(" | ");
  const parts = [String(schema.type ?? "")];
  if (schema.pattern) parts.push(`pattern ${schema.pattern}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) {
    parts.push(`${schema.minimum ?? ""}–${schema.maximum ?? ""}`);
  }
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.filter(Boolean).join(", ");
}

function renderOperation(method: string, path: string, op: OperationLike): string {
  const params = (op.parameters ?? []).map((p) =>
    `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${
      p.required ? "yes" : "no"
    }</td><td>${escapeHtml(describeSchema(p.schema))}</td></tr>`
  ).join("");
  const responses = Object.entries(op.responses ?? {}).map(([status, r]) =>
    `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description ?? "")}</li>`
  ).join("");
  const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, "-");
  return `<section id="${escapeHtml(id)}"><h2><code>${escapeHtml(method.toUpperCase())} ${
    escapeHtml(path)
  }</code></h2>${op.summary ? `<p>${escapeHtml(op.summary)}</p>` : ""}${
    params
      ? `<table><caption>Parameters</caption><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">required</th><th scope="col">values</th></tr></thead><tbody>${params}</tbody></table>`
      : ""
  }<ul>${responses}</ul></section>`;
}

/** Renders an OpenAPI document as a self-contained HTML page. */
export function renderApiDocs(doc: DocumentLike): string {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => renderOperation(method, path, op))
  ).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} — API</title></head>
<body><main><h1>${escapeHtml(doc.info.title)} API <small>${escapeHtml(doc.info.version)}</small></h1>
${doc.info.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ""}
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
${operations}
</main></body></html>`;
}
