package io.alignstream.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A Hugging Face {@code tokenizer.json} loaded offline through DJL's native tokenizers library, with
 * truncation, padding and special tokens all off, and the chat settings of the
 * {@code tokenizer_config.json} beside it when there is one.
 *
 * <p>{@link #encode} gives the ids of a prompt as the model reads it: rendered with the model's
 * {@code chat_template} (one user turn and the opening of the assistant's, {@link ChatTemplate}) when
 * it has one, else the raw text, as before chat templates. {@link #encodeText} never renders. The end
 * token (what a finished response ends with) is the config's {@code eos_token} when it names one
 * ({@code <|eot_id|>} for Llama 3.1, {@code <|im_end|>} for Qwen), else {@value #EOS_TOKEN}.
 * Thread-safe; close to free the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {
  public static final String FILE_NAME = "tokenizer.json";
  /** The chat template, special tokens and other settings of {@code transformers}' tokenizer. */
  public static final String CONFIG_FILE_NAME = "tokenizer_config.json";
  /** The end token of tokenizers whose config names none (GPT-2's, and this project's word-level ones). */
  public static final String EOS_TOKEN = "<|endoftext|>";
  /** Above this, {@link #toJson} compresses the tokenizer: manifests are records of at most 4 MiB. */
  private static final int PACK_ABOVE_CHARS = 1 << 20;
  /** Key of the compressed {@code tokenizer.json} in {@link #toJson}'s packed form. */
  private static final String PACKED = "alignstream_tokenizer_json_gzip_base64";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The {@code tokenizer.json} text, read once at load: {@link #save} and {@link #toJson} must not
   * depend on the file still being there (a learner resumed from a checkpoint deletes that checkpoint
   * a few updates later, and its next save failed copying the tokenizer from it).
   */
  private final String json;
  /** The {@code tokenizer_config.json} text, or null when the model came without one. */
  private final String configJson;
  /** The chat template, or null: prompts are then encoded raw. */
  private final ChatTemplate template;
  private final HuggingFaceTokenizer native_;
  private final int vocabSize;
  private final int eosId;

  private Tokenizer(String json, String configJson, ChatTemplate template, HuggingFaceTokenizer tokenizer,
      int vocabSize, int eosId) {
    this.json = json;
    this.configJson = configJson;
    this.template = template;
    this.native_ = tokenizer;
    this.vocabSize = vocabSize;
    this.eosId = eosId;
  }

  /**
   * Loads {@code tokenizer.json} (or a model directory containing one), and the
   * {@value #CONFIG_FILE_NAME} beside it when present.
   *
   * @throws IllegalArgumentException when the file is missing, or names no end token the vocabulary has
   */
  public static Tokenizer load(Path fileOrDir) throws IOException {
    Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve(FILE_NAME) : fileOrDir;
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no tokenizer at " + file);
    }
    Path config = file.resolveSibling(CONFIG_FILE_NAME);
    return parse(Files.readString(file), Files.isRegularFile(config) ? Files.readString(config) : null,
        file.toString());
  }

  /**
   * A tokenizer from {@link #toJson}'s text (e.g. from a published manifest, so that readers on other
   * hosts need no shared files), or from the plain text of a {@code tokenizer.json}.
   *
   * @throws IllegalArgumentException when the text names no end token the vocabulary has
   */
  public static Tokenizer fromJson(String text) throws IOException {
    JsonNode root = JSON.readTree(text);
    if (root.path(PACKED).isTextual()) {
      JsonNode config = root.path("tokenizer_config");
      return parse(unpack(root.get(PACKED).asText()), config.isObject() ? JSON.writeValueAsString(config) : null,
          "the published tokenizer");
    }
    return parse(text, null, "the tokenizer.json text");
  }

  /**
   * The id of the end token of the tokenizer in {@code dir}, or -1 when there is none there: what
   * {@link ModelConfig#readDir} adds to the model's end tokens, read without the native library.
   */
  static int endTokenId(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(FILE_NAME))) {
      return -1;
    }
    Path config = dir.resolve(CONFIG_FILE_NAME);
    String eos = Files.isRegularFile(config) ? ChatTemplate.tokenText(JSON.readTree(config.toFile()).path("eos_token"))
        : null;
    Vocabulary v = Vocabulary.of(JSON.readTree(dir.resolve(FILE_NAME).toFile()), eos);
    return v.eos() == null ? -1 : v.eos();
  }

  /** Size and end-token id of a parsed {@code tokenizer.json}. */
  private record Vocabulary(int size, Integer eos) {
    static Vocabulary of(JsonNode root, String eosToken) {
      String wanted = eosToken != null ? eosToken : EOS_TOKEN;
      int size = 0;
      Integer eos = null;
      for (Iterator<Map.Entry<String, JsonNode>> it = root.path("model").path("vocab").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        size = Math.max(size, e.getValue().asInt() + 1);
        if (e.getKey().equals(wanted)) {
          eos = e.getValue().asInt();
        }
      }
      for (JsonNode t : root.path("added_tokens")) {
        size = Math.max(size, t.path("id").asInt() + 1);
        if (t.path("content").asText().equals(wanted)) {
          eos = t.path("id").asInt();
        }
      }
      return new Vocabulary(size, eos);
    }
  }

  private static Tokenizer parse(String text, String configText, String origin) throws IOException {
    JsonNode root = JSON.readTree(text);
    JsonNode config = configText == null ? null : JSON.readTree(configText);
    String eosToken = config == null ? null : ChatTemplate.tokenText(config.path("eos_token"));
    Vocabulary vocab = Vocabulary.of(root, eosToken);
    if (vocab.eos() == null) {
      throw new IllegalArgumentException(origin + " has no " + (eosToken != null ? eosToken + " token (the eos_token of "
          + CONFIG_FILE_NAME + ")" : EOS_TOKEN + " token, and no " + CONFIG_FILE_NAME + " naming another eos_token"));
    }
    ChatTemplate template = config == null ? null : ChatTemplate.of(config, origin + "'s " + CONFIG_FILE_NAME);
    BaseModel.engineDefaults();
    // Built from memory, not from a path: a temporary copy for the native library outlived every
    // process that was killed (150 leftover directories in /tmp after a day of fault-injection runs).
    HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
        Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    return new Tokenizer(text, configText, template, tok, vocab.size(), vocab.eos());
  }

  /**
   * This tokenizer as one JSON text for a manifest, which {@link #fromJson} reads: the
   * {@code tokenizer.json} text itself for a small tokenizer without a config (as manifests always
   * carried); otherwise an object holding it gzip-compressed in base64 and the
   * {@code tokenizer_config.json}, since real vocabularies (Qwen3's 11 MB, Llama 3.1's 9 MB) exceed a
   * manifest record's 4 MiB and compress to about a fifth.
   */
  public String toJson() throws IOException {
    if (configJson == null && json.length() <= PACK_ABOVE_CHARS) {
      return json;
    }
    ObjectNode packed = JSON.createObjectNode();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(json.length() / 4);
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(json.getBytes(StandardCharsets.UTF_8));
    }
    packed.put(PACKED, Base64.getEncoder().encodeToString(bytes.toByteArray()));
    if (configJson != null) {
      packed.set("tokenizer_config", JSON.readTree(configJson));
    }
    return JSON.writeValueAsString(packed);
  }

  private static String unpack(String base64) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(base64)))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Token ids of a prompt as the model reads it: {@code prompt} rendered with the chat template when
   * the model has one, else the raw text; special tokens only where the template writes them.
   */
  public long[] encode(String prompt) {
    return encodeText(template == null ? prompt : template.render(prompt));
  }

  /** Token ids of {@code text} as it is, nothing rendered or added. */
  public long[] encodeText(String text) {
    return native_.encode(text, false, false).getIds();
  }

  /** Ids of a finished response: {@code encodeText(text) ++ [end token]}. */
  public long[] responseIds(String text) {
    long[] ids = encodeText(text);
    long[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = eosId;
    return out;
  }

  /** Text of {@code ids}, special tokens (the end token, template markers) dropped. */
  public String decode(long[] ids) {
    return native_.decode(ids, true);
  }

  /** The end token's id: what {@link #responseIds} appends. */
  public int eosId() {
    return eosId;
  }

  /** The chat template prompts are rendered with, if the model has one. */
  public Optional<ChatTemplate> chatTemplate() {
    return Optional.ofNullable(template);
  }

  /** One more than the largest id (the model's vocabulary size). */
  public int vocabSize() {
    return vocabSize;
  }

  /** Writes the {@code tokenizer.json} (and {@value #CONFIG_FILE_NAME}) this tokenizer was loaded from into {@code dir}. */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(FILE_NAME), json);
    if (configJson != null) {
      Files.writeString(dir.resolve(CONFIG_FILE_NAME), configJson);
    }
  }

  @Override
  public void close() {
    native_.close();
  }
}
