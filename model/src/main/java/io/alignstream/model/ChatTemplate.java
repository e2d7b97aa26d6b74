package io.alignstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Jinja {@code chat_template} of a Hugging Face {@code tokenizer_config.json}, rendered through
 * jinjava the way {@code transformers}' {@code apply_chat_template} renders it: blocks trimmed and
 * left-stripped, {@code messages} holding the one user turn, {@code add_generation_prompt} true, and
 * the config's {@code bos_token} and {@code eos_token} as variables. Immutable and thread-safe (each
 * render gets its own interpreter).
 */
public final class ChatTemplate {
  /**
   * {@code transformers} renders with trim_blocks and lstrip_blocks; the templates are written for that.
   * jinjava ignores the '-' of {@code {{- ... }}} unless told (Qwen's template is all {@code {{- }}}),
   * and its own operator precedence differs from Jinja's unless told.
   */
  private static final Jinjava JINJA = new Jinjava(
      JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
          .withLegacyOverrides(LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
              .withParseWhitespaceControlStrictly(true).withUseNaturalOperatorPrecedence(true).build())
          .build());

  private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][A-Za-z_0-9.]*)\\[\\s*:\\s*:\\s*-1\\s*\\]");

  private final String bosToken;
  private final String eosToken;
  /** The template as jinjava parses it like Jinja ({@link #forJinjava}). */
  private final String jinjavaSource;

  /**
   * @param template the Jinja source
   * @param bosToken the text of the config's {@code bos_token} (null or "" when it has none, as Qwen's)
   * @param eosToken the text of the config's {@code eos_token} (null or "" when it has none)
   */
  public ChatTemplate(String template, String bosToken, String eosToken) {
    if (template == null || template.isBlank()) {
      throw new IllegalArgumentException("chat_template is empty");
    }
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
    this.jinjavaSource = forJinjava(template);
  }

  /**
   * The template with every keyword argument of a {@code namespace(...)} call parenthesised. jinjava
   * (2.8.0 and 2.8.4 alike) binds {@code name=value} tighter than arithmetic, so Qwen's
   * {@code namespace(last_query_index=messages|length - 1)} became {@code (last_query_index=1) - 1}
   * and failed; Jinja reads the whole {@code value}, which the parentheses restore. And jinjava has no
   * step in slices: {@code messages[::-1]} (Qwen's, to walk the turns backwards) becomes
   * {@code (messages|reverse)}. Strings are Java strings there: Python's {@code startswith} and
   * {@code endswith} become Java's {@code startsWith} and {@code endsWith}, which mean the same for one
   * argument. Other Python string methods ({@code split}, {@code lstrip}) sit in Qwen's assistant and
   * tool branches, which a prompt of one user turn never evaluates. Nothing else changes.
   */
  static String forJinjava(String source) {
    String s = REVERSED.matcher(parenthesiseNamespaceArguments(source)).replaceAll("($1|reverse)");
    return s.replace(".startswith(", ".startsWith(").replace(".endswith(", ".endsWith(");
  }

  private static String parenthesiseNamespaceArguments(String source) {
    StringBuilder out = new StringBuilder(source.length() + 16);
    int from = 0;
    for (int at = source.indexOf("namespace("); at >= 0; at = source.indexOf("namespace(", from)) {
      int open = at + "namespace(".length();
      int close = matchingParen(source, open);
      if (close < 0) {
        break; // unbalanced: leave it for jinjava to report
      }
      out.append(source, from, open);
      List<String> args = splitTopLevel(source.substring(open, close));
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        int eq = arg.indexOf('=');
        boolean keyword = eq > 0 && arg.substring(0, eq).trim().matches("[A-Za-z_][A-Za-z_0-9]*")
            && (eq + 1 >= arg.length() || arg.charAt(eq + 1) != '=');
        out.append(i == 0 ? "" : ",").append(keyword ? arg.substring(0, eq + 1) + "(" + arg.substring(eq + 1) + ")" : arg);
      }
      from = close;
    }
    return out.append(source.substring(from)).toString();
  }

  /** Index of the ')' closing the parenthesis opened just before {@code from}, skipping quoted strings; -1 if none. */
  private static int matchingParen(String s, int from) {
    int depth = 1;
    Unquoted scan = new Unquoted(s, from);
    for (int i; (i = scan.next()) >= 0; ) {
      char c = s.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if ((c == ')' || c == ']' || c == '}') && --depth == 0) {
        return c == ')' ? i : -1;
      }
    }
    return -1;
  }

  /** {@code args} split at the commas outside brackets and quotes. */
  private static List<String> splitTopLevel(String args) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    Unquoted scan = new Unquoted(args, 0);
    for (int i; (i = scan.next()) >= 0; ) {
      char c = args.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(args.substring(start, i));
        start = i + 1;
      }
    }
    out.add(args.substring(start));
    return out;
  }

  /** The characters of a string outside its quoted strings ('...' or "...", with backslash escapes). */
  private static final class Unquoted {
    private final String s;
    private int i;
    private char quote; // 0 outside a quoted string

    Unquoted(String s, int from) {
      this.s = s;
      this.i = from - 1;
    }

    /** Index of the next character outside quotes (not an opening quote), or -1 at the end. */
    int next() {
      while (++i < s.length()) {
        char c = s.charAt(i);
        if (quote != 0) {
          if (c == '\\') {
            i++;
          } else if (c == quote) {
            quote = 0;
          }
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else {
          return i;
        }
      }
      return -1;
    }
  }

  /**
   * The template of a parsed {@code tokenizer_config.json}, or null when it has none. A list of
   * named templates (as some configs carry) gives the one named {@code default}.
   *
   * @throws IllegalArgumentException when {@code chat_template} is neither a string nor such a list
   */
  public static ChatTemplate of(JsonNode tokenizerConfig, String origin) {
    JsonNode t = tokenizerConfig.path("chat_template");
    if (t.isMissingNode() || t.isNull()) {
      return null;
    }
    String source = null;
    if (t.isTextual()) {
      source = t.asText();
    } else if (t.isArray()) {
      for (JsonNode named : t) {
        if (named.path("name").asText().equals("default")) {
          source = named.path("template").asText(null);
        }
      }
    }
    if (source == null) {
      throw new IllegalArgumentException(origin + ": chat_template must be a string or a list holding one named "
          + "'default'");
    }
    return new ChatTemplate(source, tokenText(tokenizerConfig.path("bos_token")),
        tokenText(tokenizerConfig.path("eos_token")));
  }

  /**
   * The text of a special token entry: a string, or the {@code {"content": ...}} object older configs
   * write; null when absent.
   */
  static String tokenText(JsonNode token) {
    if (token.isTextual()) {
      return token.asText();
    }
    if (token.isObject() && token.path("content").isTextual()) {
      return token.get("content").asText();
    }
    return null;
  }

  /**
   * {@code prompt} as the one user turn, followed by the opening of the assistant's turn: the text a
   * chat model continues with its answer.
   *
   * @throws IllegalArgumentException when the template does not render (its first error named)
   */
  public String render(String prompt) {
    Map<String, Object> context = new HashMap<>();
    context.put("messages", List.of(Map.of("role", "user", "content", prompt)));
    context.put("add_generation_prompt", true);
    context.put("bos_token", bosToken);
    context.put("eos_token", eosToken);
    RenderResult result = JINJA.renderForResult(jinjavaSource, context);
    for (TemplateError e : result.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new IllegalArgumentException("the chat template does not render: " + e.getMessage()
            + (e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : ""));
      }
    }
    return result.getOutput();
  }
}
