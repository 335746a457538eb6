import type { CodecSpec, Manifest, PartitionSpec } from './manifest-schema.js';

/** The codec a partition's features are encoded with: its own `codec`, else the manifest's. */
export function partitionCodec(manifest: Manifest, partition: PartitionSpec): CodecSpec {
  return partition.codec ?? manifest.codec;
}
