import { XMLBuilder } from 'fast-xml-parser';

export type Open311Format = 'json' | 'xml';

const builder = new XMLBuilder({ ignoreAttributes: true, format: true, suppressEmptyNode: false, processEntities: true });

/**
 * GeoReport v2 bodies: JSON as is; XML with the spec's element names (a list element wrapping
 * one element per item, e.g. <services><service>…</service></services>). Text is escaped.
 */
export function renderOpen311(format: Open311Format, root: string, item: string, items: object[]): { type: string; body: string } {
  if (format === 'json') return { type: 'application/json; charset=utf-8', body: JSON.stringify(items) };
  const xml = builder.build({ [root]: { [item]: items.map(flattenForXml) } }) as string;
  return { type: 'text/xml; charset=utf-8', body: `<?xml version="1.0" encoding="utf-8"?>\n${xml}` };
}

/** One object under one root element (the service definition). */
export function renderOpen311Object(format: Open311Format, root: string, obj: object): { type: string; body: string } {
  if (format === 'json') return { type: 'application/json; charset=utf-8', body: JSON.stringify(obj) };
  const xml = builder.build({ [root]: flattenForXml(obj) }) as string;
  return { type: 'text/xml; charset=utf-8', body: `<?xml version="1.0" encoding="utf-8"?>\n${xml}` };
}

/** Nested lists in XML follow the spec's shape: attributes → <attributes><attribute>, values → <values><value>. */
function flattenForXml(obj: object): object {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) out[k] = '';
    else if (Array.isArray(v)) out[k] = { [singular(k)]: v.map((x) => (typeof x === 'object' ? flattenForXml(x) : x)) };
    else if (typeof v === 'object') out[k] = flattenForXml(v);
    else out[k] = v;
  }
  return out;
}

function singular(plural: string): string {
  return plural.endsWith('s') ? plural.slice(0, -1) : plural;
}
