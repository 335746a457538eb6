import { ProtoWriter } from './protobuf-writer.js';

/** An ONNX attribute: an int, a float, or a list of ints. */
export type OnnxAttribute = number | { readonly float: number } | readonly number[];

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

export interface OnnxValue {
  readonly name: string;
  /** Dimensions; a string is a symbolic (dynamic) axis such as "N". */
  readonly shape: ReadonlyArray<number | string>;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values: Float32Array;
}

export interface OnnxGraph {
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly initializers?: readonly OnnxInitializer[];
  /** @default 13 */
  readonly opset?: number;
}

const FLOAT = 1;

function valueInfo(v: OnnxValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape)
    shape.message(
      1,
      typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d),
    );
  const tensor = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensor));
}

function attribute(name: string, a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof a === 'number') return w.int(3, a).int(20, 2);
  if (Array.isArray(a)) return w.packedInts(8, a as readonly number[]).int(20, 7);
  return w.float(2, (a as { float: number }).float).int(20, 1);
}

/** Encodes a float32 ONNX model (IR version 8, default domain) from a small graph description. */
export function encodeOnnxModel(g: OnnxGraph): Buffer {
  const graph = new ProtoWriter();
  g.nodes.forEach((n, i) => {
    const node = new ProtoWriter();
    for (const x of n.inputs) node.string(1, x);
    for (const x of n.outputs) node.string(2, x);
    node.string(3, `${n.op.toLowerCase()}_${i}`).string(4, n.op);
    for (const [k, v] of Object.entries(n.attributes ?? {})) node.message(5, attribute(k, v));
    graph.message(1, node);
  });
  graph.string(2, 'graph');
  for (const t of g.initializers ?? []) {
    const raw = Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    graph.message(
      5,
      new ProtoWriter().packedInts(1, t.dims).int(2, FLOAT).string(8, t.name).bytes(9, raw),
    );
  }
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  return new ProtoWriter()
    .int(1, 8)
    .string(2, 'bottlenet-model-repo-testing')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, g.opset ?? 13))
    .finish();
}
