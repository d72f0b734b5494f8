package dev.briefcase.secrets.file.internal;

import java.lang.annotation.Annotation;

/** A stub {@link EncryptedFileSecretStore.Config} with fast Argon2 parameters. */
final class TestConfig implements EncryptedFileSecretStore.Config {
  String path = "";
  String passphraseFile = "";
  int memoryKib = 1024;
  int iterations = 1;
  int parallelism = 1;

  @Override
  public String path() {
    return path;
  }

  @Override
  public String passphrase_file() {
    return passphraseFile;
  }

  @Override
  public int argon2_memory_kib() {
    return memoryKib;
  }

  @Override
  public int argon2_iterations() {
    return iterations;
  }

  @Override
  public int argon2_parallelism() {
    return parallelism;
  }

  @Override
  public Class<? extends Annotation> annotationType() {
    return EncryptedFileSecretStore.Config.class;
  }
}
