package io.alignstream.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a real Hugging Face WordLevel {@code tokenizer.json} from a corpus's most frequent words.
 *
 * <p>Why: with the 50,257-token GPT-2 vocabulary the output layer dominates compute on a CPU; a word
 * vocabulary of a few thousand makes the tiny preset train in minutes. The file uses the
 * {@code Whitespace} pre-tokenizer (runs of word characters, runs of punctuation), {@code <unk>} (id 0)
 * for unknown words, {@code <|endoftext|>} (id 1) as EOS and a WordPiece decoder with clean-up, which
 * joins words with spaces and re-attaches punctuation. Any Hugging Face tokenizers library loads it.
 */
public final class WordLevelTokenizerBuilder {
  public static final String UNK = "<unk>";
  // The Whitespace pre-tokenizer's rule: \w+|[^\w\s]+ (Unicode word characters).
  private static final Pattern WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

  private final Map<String, Long> counts = new HashMap<>();
  private final int maxVocab;

  /** @param maxVocab largest vocabulary, the two special tokens included; >= 3 */
  public WordLevelTokenizerBuilder(int maxVocab) {
    if (maxVocab < 3) {
      throw new IllegalArgumentException("maxVocab must be >= 3 (two special tokens and a word), got " + maxVocab);
    }
    this.maxVocab = maxVocab;
  }

  /** Counts the words of one text. */
  public WordLevelTokenizerBuilder add(String text) {
    Matcher m = WORDS.matcher(text);
    while (m.find()) {
      counts.merge(m.group(), 1L, Long::sum);
    }
    return this;
  }

  public WordLevelTokenizerBuilder addAll(List<String> texts) {
    texts.forEach(this::add);
    return this;
  }

  /** The vocabulary: specials first, then words by falling frequency (ties alphabetical). */
  public List<String> vocabulary() {
    List<String> words = counts.entrySet().stream()
        .filter(e -> !e.getKey().equals(UNK) && !e.getKey().equals(Tokenizer.EOS_TOKEN))
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(maxVocab - 2L)
        .map(Map.Entry::getKey)
        .toList();
    List<String> out = new java.util.ArrayList<>(List.of(UNK, Tokenizer.EOS_TOKEN));
    out.addAll(words);
    return out;
  }

  /** Writes {@code tokenizer.json} to {@code file}. */
  public Path write(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    added.add(special(json, 0, UNK));
    added.add(special(json, 1, Tokenizer.EOS_TOKEN));
    root.putNull("normalizer");
    root.putObject("pre_tokenizer").put("type", "Whitespace");
    root.putNull("post_processor");
    // Tokens joined by single spaces, with no "clean-up" of spaces before punctuation: decoding then
    // gives back text in the space-separated form it was encoded from ("vienna ." stays "vienna .").
    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "WordPiece");
    decoder.put("prefix", "##");
    decoder.put("cleanup", false);
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocab = model.putObject("vocab");
    List<String> words = vocabulary();
    for (int i = 0; i < words.size(); i++) {
      vocab.put(words.get(i), i);
    }
    model.put("unk_token", UNK);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    return file;
  }

  private static ObjectNode special(ObjectMapper json, int id, String content) {
    ObjectNode t = json.createObjectNode();
    t.put("id", id);
    t.put("content", content);
    t.put("single_word", false);
    t.put("lstrip", false);
    t.put("rstrip", false);
    t.put("normalized", false);
    t.put("special", true);
    return t;
  }
}
