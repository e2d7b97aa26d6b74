package io.alignstream.model.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.lora.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Not a test: writes a Llama-family model with a trained LoRA adapter beside it (PEFT's layout) and the
 * teacher-forced log-probs alignstream gives a fixed sequence, for {@code bench/reference/lora_parity.py}
 * to recompute from the files alone, as PEFT defines the adapter. Run with {@code bench/model/lora-parity.sh}.
 *
 * <p>Arguments: OUT_DIR [preset=llama-tiny] [rank=4].
 */
public final class LoraParity {
  private LoraParity() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    ModelConfig config = ModelBenchmark.preset(args.length > 1 ? args[1] : "llama-tiny", 512);
    int rank = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    long[] prompt = {1, 17, 42, 99};
    long[] response = {7, 300, 12, 5, 250, 64, 2};
    try (Policy base = Policy.create(config, 11);
        Policy adapted = base.withAdapter(new LoraConfig(rank, 3.0 * rank, 0, List.of(LoraConfig.ALL_LINEAR)), 5)) {
      // Train so that B is far from its zero start (otherwise the adapter would change nothing).
      try (var t = new PolicyTrainer(adapted, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(2e-2)))) {
        for (int i = 0; i < 5; i++) {
          t.sftStep(List.of(new Example(prompt, response)));
        }
      }
      adapted.save(out.resolve("model"));
      float[] withAdapter = adapted.tokenLogProbs(List.of(new Example(prompt, response)))[0];
      float[] without = base.tokenLogProbs(List.of(new Example(prompt, response)))[0];
      Files.writeString(out.resolve("java-logprobs.json"), new ObjectMapper().writeValueAsString(Map.of(
          "prompt", prompt, "response", response, "adapted", withAdapter, "base", without)));
    }
  }
}
