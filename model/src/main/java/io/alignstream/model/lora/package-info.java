/** Low-rank adapters (LoRA) in the Hugging Face PEFT layout: their configuration and files. */
package io.alignstream.model.lora;
