package io.alignstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;

/**
 * Not a test: the parity check of {@code LlamaReferenceTest} at any shape, for the benchmark-size
 * directories {@code bench/model/llama-parity.sh} writes (SmolLM2-135M's shape, a small Qwen3). Prints the
 * largest logit difference against the reference's float64 logits beside the reference's own float32 error,
 * and whether the greedy continuation matches token for token. Exits 1 when the tokens differ or the logits
 * differ by 1e-4 of the largest logit or more: float32 cannot do better than about 1e-6 relative per
 * operation, and at SmolLM2's depth with logits near 30 the reference's own float32 forward is 1e-3 from its
 * float64 one.
 *
 * <p>{@code java -cp <model test classpath> io.alignstream.model.ReferenceParity DIR...}
 */
public final class ReferenceParity {
  private ReferenceParity() {}

  public static void main(String[] args) throws Exception {
    boolean ok = true;
    for (String arg : args) {
      Path dir = Path.of(arg);
      JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
      long[] tokens = longs(expected.get("tokens"));
      long t0 = System.nanoTime();
      try (Policy policy = Policy.load(dir)) {
        double loadS = (System.nanoTime() - t0) / 1e9;
        int vocab = policy.config().vocabSize();
        float[] logits = Probes.logits(policy, tokens);
        int first = expected.path("first_logits_row").asInt(0);
        double worst = 0;
        double scale = 0;
        for (int t = first; t < tokens.length; t++) {
          JsonNode row = expected.get("logits").get(t - first);
          for (int v = 0; v < vocab; v++) {
            double ref = row.get(v).asDouble();
            worst = Math.max(worst, Math.abs(logits[t * vocab + v] - ref));
            scale = Math.max(scale, Math.abs(ref));
          }
        }
        long[] greedy = longs(expected.get("greedy"));
        long[] got = policy.generate(List.of(longs(expected.get("prompt"))),
            new SamplingConfig(0, 1, 0, greedy.length, false), 0).get(0).responseIds();
        boolean same = java.util.Arrays.equals(greedy, got);
        System.out.printf("%s: %s, %,d parameters, loaded in %.1f s; max |java fp32 - reference f64| logit %.3g "
                + "(reference fp32 - f64: %.3g; max |logit| %.3g; %d positions x %d); greedy %d tokens %s%n",
            dir.getFileName(), expected.path("dtype").asText(), policy.parameterCount(), loadS, worst,
            expected.path("fp32_error").asDouble(Double.NaN), scale, tokens.length - first, vocab, greedy.length,
            same ? "identical" : "DIFFER: " + java.util.Arrays.toString(got) + " vs " + java.util.Arrays.toString(greedy));
        ok &= worst < 1e-4 * Math.max(1, scale) && same;
      }
    }
    System.exit(ok ? 0 : 1);
  }

  static long[] longs(JsonNode a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asLong();
    }
    return out;
  }
}
