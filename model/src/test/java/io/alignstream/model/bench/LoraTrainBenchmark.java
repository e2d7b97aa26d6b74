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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Not a test: SFT training tokens/s with every weight trained against a LoRA adapter over the frozen
 * base (rank R on every linear layer, alpha 2R), on the same weights and batch. Writes the model it
 * measured, so that {@code bench/reference/lora_bench.py} trains the same weights in plain PyTorch. Run
 * with {@code bench/model/lora-train.sh}.
 *
 * <p>Arguments: OUT_DIR [preset=smollm2] [batch=4] [seq=64] [steps=3] [rank=8] [modes=full,lora]; one
 * warm-up step each. {@code lora} alone skips full training, whose gradients and AdamW moments need three
 * more copies of the model's size.
 */
public final class LoraTrainBenchmark {
  private LoraTrainBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "model/target/lora-train");
    String preset = args.length > 1 ? args[1] : "smollm2";
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int seq = args.length > 3 ? Integer.parseInt(args[3]) : 64;
    int steps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    int rank = args.length > 5 ? Integer.parseInt(args[5]) : 8;
    List<String> modes = List.of((args.length > 6 ? args[6] : "full,lora").split(","));
    Files.createDirectories(out);
    ModelConfig config = ModelBenchmark.preset(preset, 512);
    LoraConfig lora = new LoraConfig(rank, 2.0 * rank, 0, List.of(LoraConfig.ALL_LINEAR));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("impl", "djl-" + System.getProperty("ai.djl.pytorch.num_threads", "default") + "-threads");
    r.put("preset", preset);
    r.put("parameters", config.parameterCount());
    r.put("batch", batch);
    r.put("seq", seq);
    r.put("rank", rank);
    try (Policy policy = Policy.create(config, 1)) {
      policy.save(out.resolve("model"));
      SplittableRandom rng = new SplittableRandom(2);
      List<Example> data = new ArrayList<>();
      for (int b = 0; b < batch; b++) {
        long[] resp = new long[seq - 1];
        for (int t = 0; t < resp.length; t++) {
          resp[t] = 2 + rng.nextInt(config.vocabSize() - 2);
        }
        data.add(new Example(new long[] {1}, resp));
      }
      if (modes.contains("full") && modes.contains("lora")) {
        try (Policy full = policy.copy()) {
          time("full", full, data, steps, r);
        }
      } else if (modes.contains("full")) {
        time("full", policy, data, steps, r); // no copy: one model's size less, for the largest shapes
      }
      r.put("full_bytes", Files.size(out.resolve("model").resolve(Policy.WEIGHTS_FILE))); // the same encoder
      if (modes.contains("lora")) {
        try (Policy adapted = policy.withAdapter(lora, 3)) {
          r.put("adapter_bytes", adapted.adapterToBytes().length);
          time("lora", adapted, data, steps, r);
        }
      }
    }
    String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r);
    Files.writeString(out.resolve("djl-lora.json"), json);
    System.out.println(json);
  }

  private static void time(String mode, Policy policy, List<Example> data, int steps, Map<String, Object> r) {
    try (PolicyTrainer t = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3)))) {
      t.sftStep(data); // warm-up
      long t0 = System.nanoTime();
      long c0 = ModelBenchmark.cpuNanos();
      for (int i = 0; i < steps; i++) {
        t.sftStep(data);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      double tokens = (double) data.size() * (data.get(0).length() - 1) * steps;
      r.put(mode + "_train_tokens_per_s", tokens / s);
      r.put(mode + "_train_tokens_per_cpu_s", tokens / ((ModelBenchmark.cpuNanos() - c0) / 1e9));
      r.put(mode + "_train_ms_per_step", 1e3 * s / steps);
    }
  }
}
