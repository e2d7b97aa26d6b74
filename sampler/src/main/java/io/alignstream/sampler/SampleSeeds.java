package io.alignstream.sampler;

import io.alignstream.schemas.Prompt;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Seeds of generate calls, derived only from the configured seed and the prompts' (id, round), never
 * from time or replica: a batch redone after an abort or a crash, by this replica or another, draws
 * the same samples when it holds the same prompts in the same order (and the weights are the same).
 *
 * <p>Limit: {@code Policy.generate} gives row i the stream {@code mix(seed, i)}, so a prompt's samples
 * also depend on the batch it lands in; a redo whose poll brings a different set of prompts samples
 * them differently (still exactly once on the topic). Per-row seeds in the model API would lift this.
 */
final class SampleSeeds {
  private SampleSeeds() {}

  /** Seed of one prompt's sampling: a mix of the base seed, the prompt id and the round. */
  static long forPrompt(long seed, String promptId, int round) {
    long h = mix(seed ^ 0x5DEECE66DL);
    h = mix(h ^ fnv1a64(promptId));
    return mix(h ^ round);
  }

  /** Seed of a batch: the per-prompt seeds folded in batch order. */
  static long forBatch(long seed, List<Prompt> prompts) {
    long h = mix(seed);
    for (Prompt p : prompts) {
      h = mix(h * 31 + forPrompt(seed, p.getPromptId(), p.getRound()));
    }
    return h;
  }

  /** 64-bit FNV-1a of the UTF-8 bytes: stable across JVMs, unlike String.hashCode's 32 bits. */
  static long fnv1a64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** SplitMix64 finaliser: every input bit affects every output bit. */
  static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
