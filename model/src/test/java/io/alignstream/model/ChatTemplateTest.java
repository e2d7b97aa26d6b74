package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The real Llama 3.1 and Qwen3 templates render as {@code transformers}' {@code apply_chat_template}
 * does (the expected strings are Python jinja2's output with trim_blocks and lstrip_blocks).
 */
class ChatTemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ChatTemplate real(String family) throws Exception {
    Path shared = TestData.shared();
    assumeTrue(shared != null, "shared/ not found above " + System.getProperty("user.dir"));
    Path file = shared.resolve("data/tokenizers/" + family + "/tokenizer_config.json");
    return ChatTemplate.of(JSON.readTree(file.toFile()), file.toString());
  }

  @Test
  void llama31TemplateOpensTheAssistantHeaderAfterTheTrimmedUserTurn() throws Exception {
    ChatTemplate t = real("llama3_1");
    assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render("What is 2+2?"));
    assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render("  Hi there \n"), "content | trim");
  }

  @Test
  void qwen3TemplateWrapsTheUserTurnInImStartAndImEnd() throws Exception {
    ChatTemplate t = real("qwen3");
    assertEquals("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", t.render("What is 2+2?"));
    assertEquals("<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n", t.render("  Hi there \n"));
  }

  @Test
  void aConfigWithoutTemplateHasNone() throws Exception {
    assertNull(ChatTemplate.of(JSON.readTree("{\"eos_token\": \"<|endoftext|>\"}"), "gpt2"));
  }

  @Test
  void namedTemplatesGiveTheDefaultAndTokenObjectsGiveTheirContent() throws Exception {
    ChatTemplate t = ChatTemplate.of(JSON.readTree("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"},"
        + " {\"name\": \"default\", \"template\": \"{{ bos_token }}[{{ messages[0].content }}]\"}],"
        + " \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}}"), "old");
    assertEquals("<s>[hello]", t.render("hello"));
  }

  @Test
  void onlyNamespaceKeywordArgumentsAndReversedSlicesAreRewritten() {
    assertEquals("{% set ns = namespace(a=(m|length - 1), b=( 'x,y'), c=(f(1, 2))) %}{% if x == 1 %}",
        ChatTemplate.forJinjava("{% set ns = namespace(a=m|length - 1, b= 'x,y', c=f(1, 2)) %}{% if x == 1 %}"));
    assertEquals("{% for m in (messages|reverse) %}{{ m.content.startsWith('a') }}{% endfor %}",
        ChatTemplate.forJinjava("{% for m in messages[::-1] %}{{ m.content.startswith('a') }}{% endfor %}"));
    ChatTemplate t = new ChatTemplate("{% set ns = namespace(last=messages|length - 1) %}{{ ns.last }}"
        + "{% for m in messages[::-1] %}{{ m.content.endswith('!') }}{% endfor %}", null, null);
    assertEquals("0true", t.render("hi!"));
  }

  @Test
  void aTemplateThatCannotRenderIsAnErrorNotAWrongPrompt() throws Exception {
    ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m.content }", "", "");
    assertThrows(IllegalArgumentException.class, () -> t.render("hello"));
  }
}
