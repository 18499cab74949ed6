import type { CommonConfig } from './common';
import { integer, type Reader } from './reader';

export interface RegistryConfig {
  /** Lifecycle rule: how many tagged images to keep. */
  readonly keepTaggedImages: number;
}

export function readRegistry(r: Reader, { stage }: CommonConfig): RegistryConfig {
  return { keepTaggedImages: r.read('keepTaggedImages', stage === 'production' ? 30 : 5, integer(1, 1000)) };
}
