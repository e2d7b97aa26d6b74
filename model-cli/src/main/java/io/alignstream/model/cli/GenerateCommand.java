package io.alignstream.model.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alignstream.console.ProgressBar;
import io.alignstream.console.Terminal;
import io.alignstream.model.Policy;
import io.alignstream.model.Sample;
import io.alignstream.model.SamplingConfig;
import io.alignstream.model.Tokenizer;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream generate}: answers a JSONL file of prompts with a model directory. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {
        "Generates responses for a JSONL file of prompts ({\"prompt\": ...} a line; other fields are carried through) "
            + "and writes JSONL with \"response\", \"response_ids\", \"logprobs\" (per token, under the unmodified "
            + "policy: temperature 1, no truncation), \"stopped_at_eos\" and the \"sampling\" settings used.",
        "",
        "Prompts are generated in batches with a KV cache; the same --seed, model and options give the same output."})
public final class GenerateCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "Model directory: config.json, model.safetensors, tokenizer.json.")
  Path model;

  @Option(names = "--prompts", required = true, paramLabel = "FILE",
      description = "JSONL input, one {\"prompt\": \"...\"} object a line.")
  Path prompts;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "JSONL output (replaced).")
  Path out;

  /** --temperature, --top-p, --top-k. */
  @Mixin
  SamplingOptions sampling = new SamplingOptions(1.0, 1.0, 0);

  @Option(names = "--max-new-tokens", defaultValue = "64", paramLabel = "N",
      description = "Most tokens per response (the context length also caps it). Default: ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = {"-n", "--samples"}, defaultValue = "1", paramLabel = "N",
      description = "Responses per prompt, written as separate lines with \"sample_index\". Default: ${DEFAULT-VALUE}.")
  int samples;

  @Option(names = "--batch-size", defaultValue = "8", paramLabel = "B",
      description = "Prompts generated together. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "SEED",
      description = "Sampling seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Mixin
  ThreadsOption threads = new ThreadsOption();

  @Override
  public Integer call() {
    return Cli.run("generate", this::run);
  }

  private Void run() throws Exception {
    SamplingConfig sampling = this.sampling.config(maxNewTokens);
    if (samples < 1 || batchSize < 1) {
      throw new IllegalArgumentException("--samples and --batch-size must be >= 1");
    }
    threads.apply();
    List<ObjectNode> rows = PromptsFile.read(prompts, "prompts");
    long tokens = 0;
    int written = 0;
    long start = System.nanoTime();
    try (Tokenizer tok = Tokenizer.load(model); Policy policy = Policy.load(model);
        BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        ProgressBar bar = ProgressBar.start("generate", (long) rows.size() * samples, "responses")) {
      List<long[]> ids = new ArrayList<>();
      for (ObjectNode row : rows) {
        long[] p = tok.encode(row.get("prompt").asText());
        int room = policy.config().contextLength() - 1;
        if (p.length > room) {
          p = java.util.Arrays.copyOfRange(p, p.length - room, p.length); // keep the prompt's end
        }
        ids.add(p.length == 0 ? new long[] {policy.config().bosTokenId()} : p);
      }
      for (int s = 0; s < samples; s++) {
        for (int from = 0; from < rows.size(); from += batchSize) {
          int to = Math.min(rows.size(), from + batchSize);
          List<Sample> got = policy.generate(ids.subList(from, to), sampling, seed + 1_000_003L * s + from);
          for (int i = from; i < to; i++) {
            Sample smp = got.get(i - from);
            ObjectNode o = rows.get(i).deepCopy();
            o.put("response", tok.decode(smp.textIds()));
            o.putPOJO("response_ids", smp.responseIds());
            o.putPOJO("logprobs", smp.logProbs());
            o.put("stopped_at_eos", smp.stoppedAtEos());
            o.putPOJO("sampling", sampling);
            if (samples > 1) {
              o.put("sample_index", s);
            }
            w.write(JSON.writeValueAsString(o));
            w.newLine();
            tokens += smp.responseIds().length;
            written++;
          }
          bar.set("tok/s", "%.0f", tokens / ((System.nanoTime() - start) / 1e9));
          bar.step(to - from);
        }
      }
    }
    double tps = tokens / ((System.nanoTime() - start) / 1e9);
    Terminal.err().printf("generate: %d responses, %d tokens, %.0f tokens/s; wrote %s%n", written, tokens, tps, out);
    return null;
  }
}
