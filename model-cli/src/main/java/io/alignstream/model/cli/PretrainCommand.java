package io.alignstream.model.cli;

import io.alignstream.console.ProgressBar;
import io.alignstream.console.Terminal;
import io.alignstream.model.AdamW;
import io.alignstream.model.AdamWConfig;
import io.alignstream.model.Example;
import io.alignstream.model.gpt2.Gpt2Config;
import io.alignstream.model.LrSchedule;
import io.alignstream.model.ModelConfig;
import io.alignstream.model.Policy;
import io.alignstream.model.PolicyTrainer;
import io.alignstream.model.StepStats;
import io.alignstream.model.Tokenizer;
import io.alignstream.model.WordLevelTokenizerBuilder;
import io.alignstream.model.llama.LlamaConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code alignstream pretrain}: trains a policy from scratch on a text corpus and writes a model directory. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
    description = {
        "Pretrains a GPT-2- or Llama-architecture policy (--arch) from random weights on a corpus and writes a "
            + "model directory (config.json, model.safetensors, tokenizer.json) that 'generate', the sampler and the "
            + "learner load.",
        "",
        "The corpus has one document a line: plain text (language modelling), or JSON with \"prompt\" and "
            + "\"response\" (the response is learned given the prompt) or \"text\"; the kind is detected line by line. Unless --tokenizer is given, a word-level "
            + "tokenizer of the corpus's --vocab-size most frequent words is built first."})
public final class PretrainCommand implements Callable<Integer> {

  @Option(names = "--corpus", required = true, paramLabel = "FILE",
      description = "Training text: one document a line, plain text or JSONL with prompt/response.")
  Path corpus;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Model directory to write (created; existing files are replaced).")
  Path out;

  @Option(names = "--arch", defaultValue = "gpt2", paramLabel = "ARCH",
      description = "Architecture: gpt2, or llama (RMSNorm, rotary positions, grouped-query attention, SwiGLU; "
          + "written as LlamaForCausalLM). Default: ${DEFAULT-VALUE}.")
  String arch;

  @Option(names = "--preset", defaultValue = "tiny", paramLabel = "NAME",
      description = "Model shape. gpt2: tiny (2 layers, width 128, 4 heads, context 128) or gpt2-small "
          + "(12 layers, 768, 12 heads, context 1024). llama: tiny (2 layers, width 128, 4 query and 2 key/value "
          + "heads, context 128) or smollm2 (SmolLM2-135M's 30 layers of 576, context 8192). The vocabulary is the "
          + "tokenizer's (gpt2-small keeps GPT-2's). Default: ${DEFAULT-VALUE}.")
  String preset;

  @Option(names = "--tokenizer", paramLabel = "FILE",
      description = "Use this Hugging Face tokenizer.json (or the directory holding it, with its "
          + "tokenizer_config.json and chat template) instead of building a word-level one.")
  Path tokenizer;

  @Option(names = "--vocab-size", defaultValue = "4096", paramLabel = "N",
      description = "Largest word-level vocabulary when building the tokenizer. Default: ${DEFAULT-VALUE}.")
  int vocabSize;

  @Option(names = "--steps", defaultValue = "0", paramLabel = "N",
      description = "Optimiser steps; 0 = as many as --epochs passes over the corpus need. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(names = "--epochs", defaultValue = "3", paramLabel = "E",
      description = "Passes over the corpus when --steps is 0. Default: ${DEFAULT-VALUE}.")
  double epochs;

  @Option(names = "--batch-size", defaultValue = "16", paramLabel = "B",
      description = "Sequences per step. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--lr", defaultValue = "2e-3", paramLabel = "LR",
      description = "Peak learning rate (AdamW, linear warm-up then cosine decay to 10%). Default: ${DEFAULT-VALUE}.")
  double lr;

  @Option(names = "--warmup", defaultValue = "50", paramLabel = "N",
      description = "Warm-up steps (capped at a tenth of the run). Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "SEED",
      description = "Seed of the initial weights and the data order; same seed, corpus and options give "
          + "bit-identical weights. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Mixin
  ThreadsOption threads = new ThreadsOption();

  /** What a run produced; returned for tests. */
  record Result(Path modelDir, int steps, double firstLoss, double lastLoss, long tokens, double tokensPerSecond) {}

  @Override
  public Integer call() {
    return Cli.run("pretrain", this::run);
  }

  Result run() throws Exception {
    validate();
    threads.apply();
    Files.createDirectories(out);
    Corpus c = Corpus.read(corpus);
    PrintStream log = Terminal.err(); // the terminal, also while demo or align send service logs to a file
    Path tokenizerFile = tokenizer;
    if (tokenizerFile == null) {
      tokenizerFile = new WordLevelTokenizerBuilder(vocabSize).addAll(c.texts()).write(out.resolve(Tokenizer.FILE_NAME));
    }
    try (Tokenizer tok = Tokenizer.load(tokenizerFile)) {
      tok.save(out);
      ModelConfig config = config(arch, preset, tok);
      if (config.vocabSize() < tok.vocabSize()) {
        throw new IllegalArgumentException("preset " + preset + " has " + config.vocabSize()
            + " token ids but the tokenizer has " + tok.vocabSize());
      }
      List<Example> examples = Corpus.examples(c.documents(), tok, config.bosTokenId(), config.contextLength());
      long corpusTokens = examples.stream().mapToLong(Example::length).sum();
      int total = steps > 0 ? steps : (int) Math.max(1, Math.ceil(epochs * examples.size() / batchSize));
      log.printf("pretrain: %d documents (%d JSON, %d text, %d skipped), %d sequences, %d tokens; vocabulary %d; "
              + "%s model, %,d parameters; %d steps of %d%n", c.documents().size(), c.jsonLines(), c.textLines(),
          c.skipped(), examples.size(), corpusTokens, tok.vocabSize(), arch + " " + preset, config.parameterCount(), total, batchSize);
      int warm = Math.min(warmup, total / 10);
      LrSchedule schedule = total > warm ? LrSchedule.cosine(lr, warm, total) : LrSchedule.constant(lr);
      SplittableRandom order = new SplittableRandom(seed);
      List<Example> shuffled = new ArrayList<>(examples);
      double first = Double.NaN;
      double last = Double.NaN;
      long tokens = 0;
      long start = System.nanoTime();
      try (Policy policy = Policy.create(config, seed);
          PolicyTrainer trainer = new PolicyTrainer(policy, new AdamW(AdamWConfig.defaults(), schedule));
          ProgressBar bar = ProgressBar.start("pretrain", total, "steps")) {
        int cursor = shuffled.size();
        for (int s = 0; s < total; s++) {
          List<Example> batch = new ArrayList<>(batchSize);
          while (batch.size() < batchSize) {
            if (cursor == shuffled.size()) {
              java.util.Collections.shuffle(shuffled, new java.util.Random(order.nextLong()));
              cursor = 0;
            }
            batch.add(shuffled.get(cursor++));
          }
          StepStats st = trainer.sftStep(batch);
          first = s == 0 ? st.loss() : first;
          last = st.loss();
          tokens += batch.stream().mapToLong(Example::length).sum();
          double seconds = (System.nanoTime() - start) / 1e9;
          bar.set("loss", "%.3f", st.loss());
          bar.set("tok/s", "%.0f", tokens / seconds);
          bar.set("lr", "%.1e", st.learningRate());
          bar.step(1);
        }
        policy.save(out);
      }
      double tps = tokens / ((System.nanoTime() - start) / 1e9);
      log.printf("pretrain: loss %.3f -> %.3f, %.0f tokens/s; wrote %s%n", first, last, tps, out);
      return new Result(out, total, first, last, tokens, tps);
    }
  }

  /** The shape {@code --arch} and {@code --preset} name, over the tokenizer's vocabulary and end token. */
  static ModelConfig config(String arch, String preset, Tokenizer tok) {
    return switch (arch) {
      case "gpt2" -> Gpt2Config.preset(preset, tok.vocabSize(), tok.eosId());
      case "llama" -> switch (preset) {
        case "tiny" -> LlamaConfig.tiny(LlamaConfig.Family.LLAMA, tok.vocabSize(), tok.eosId());
        case "smollm2" -> {
          LlamaConfig s = LlamaConfig.smolLm2();
          yield new LlamaConfig(s.family(), tok.vocabSize(), s.contextLength(), s.width(), s.intermediateSize(),
              s.layers(), s.heads(), s.kvHeads(), s.headDim(), s.rmsNormEps(), s.ropeTheta(), s.ropeScaling(),
              s.tiedEmbeddings(), s.attentionBias(), tok.eosId(), List.of(tok.eosId()));
        }
        default -> throw new IllegalArgumentException("unknown --preset '" + preset + "' for --arch llama: use tiny "
            + "or smollm2");
      };
      default -> throw new IllegalArgumentException("unknown --arch '" + arch + "': use gpt2 or llama");
    };
  }

  private void validate() {
    if (!arch.equals("gpt2") && !arch.equals("llama")) {
      throw new IllegalArgumentException("unknown --arch '" + arch + "': use gpt2 or llama");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
    }
    if (steps < 0 || !(epochs > 0)) {
      throw new IllegalArgumentException("--steps must be >= 0 and --epochs > 0");
    }
    if (!(lr > 0)) {
      throw new IllegalArgumentException("--lr must be > 0, got " + lr);
    }
    if (tokenizer != null && !Files.exists(tokenizer)) {
      throw new IllegalArgumentException("tokenizer file not found: " + tokenizer);
    }
  }
}
