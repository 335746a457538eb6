// Reading a test Prometheus: instant queries and the rewrite that lets an alert's expression be checked for data.

/** The body of Prometheus' /api/v1/query answer. */
export interface PromResult {
  status: string;
  error?: string;
  data: { resultType: string; result: unknown[] | [number, string] };
}

/** One instant query against the Prometheus at `baseUrl`. */
export async function promQuery(baseUrl: string, expr: string): Promise<PromResult> {
  const res = await fetch(`${baseUrl}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query: expr }),
  });
  return (await res.json()) as PromResult;
}

/** True when the query succeeded and returned at least one sample. */
export function nonEmpty(r: PromResult): boolean {
  if (r.status !== 'success') return false;
  if (r.data.resultType === 'scalar' || r.data.resultType === 'string') return true;
  return (r.data.result as unknown[]).length > 0;
}

/**
 * An alert's condition with every comparison against a number made a `bool` comparison: the series
 * the alert looks at must exist, while the condition itself does not hold in a healthy mesh.
 */
export function asBoolComparisons(expr: string): string {
  return expr.replace(/(>=|<=|==|!=|>|<)\s*(?!bool\b)(-?\d[\d.e+-]*)/g, '$1 bool $2');
}
