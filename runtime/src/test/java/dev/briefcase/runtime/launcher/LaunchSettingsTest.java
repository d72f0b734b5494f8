package dev.briefcase.runtime.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.Test;

public class LaunchSettingsTest {
  private static final Path USER_HOME = Path.of("/home/u");

  private static LaunchSettings resolve(Map<String, String> env) throws LaunchException {
    return LaunchSettings.resolve(env, USER_HOME, Path.of("/opt/briefcase"), null);
  }

  @Test
  public void defaults() throws Exception {
    LaunchSettings s = resolve(Map.of());
    if (!System.getProperty("os.name").toLowerCase().contains("mac")
        && !System.getProperty("os.name").toLowerCase().contains("win")) {
      assertEquals(Path.of("/home/u/.local/share/credential-briefcase"), s.dataDir());
    }
    assertEquals("reference", s.profileMode());
    assertEquals("127.0.0.1:0", s.tcpAddr());
    assertEquals("info", s.logLevel());
    assertEquals(Path.of("/opt/briefcase/bundle"), s.bundleDir());
    Map<String, String> props = s.frameworkProperties();
    assertEquals(s.dataDir().resolve("deploy").toString(), props.get("briefcase.deploy.dir"));
    assertEquals(
        s.dataDir().resolve("felix-cache").toString(), props.get("org.osgi.framework.storage"));
    assertEquals("/opt/briefcase", props.get("briefcase.home"));
  }

  @Test
  public void environmentOverrides() throws Exception {
    LaunchSettings s =
        resolve(
            Map.of(
                "BRIEFCASE_DATA_DIR", "/data/bc",
                "BRIEFCASE_PROFILE_MODE", "ga",
                "BRIEFCASE_TCP_ADDR", "127.0.0.1:8787",
                "BRIEFCASE_LOG_LEVEL", "DEBUG",
                "XDG_DATA_HOME", "/xdg"));
    assertEquals(Path.of("/data/bc"), s.dataDir());
    assertEquals("ga", s.profileMode());
    assertEquals("127.0.0.1:8787", s.tcpAddr());
    assertEquals("debug", s.logLevel());
    assertEquals("ga", s.frameworkProperties().get("briefcase.profile.mode"));
    assertEquals("127.0.0.1:8787", s.frameworkProperties().get("briefcase.tcp.addr"));
  }

  @Test
  public void providerHttpAddrIsSplitForTheProviderListener() throws Exception {
    Map<String, String> props =
        resolve(Map.of("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1:9199")).frameworkProperties();
    assertEquals("127.0.0.1", props.get("briefcase.provider.http.host"));
    assertEquals("9199", props.get("briefcase.provider.http.port"));
    Map<String, String> v6 =
        resolve(Map.of("BRIEFCASE_PROVIDER_HTTP_ADDR", "[::1]:9099")).frameworkProperties();
    assertEquals("::1", v6.get("briefcase.provider.http.host"));
    assertThrows(
        LaunchException.class, () -> resolve(Map.of("BRIEFCASE_PROVIDER_HTTP_ADDR", "127.0.0.1")));
  }

  @Test
  public void xdgDataHome() throws Exception {
    if (System.getProperty("os.name").toLowerCase().contains("linux")) {
      assertEquals(
          Path.of("/xdg/credential-briefcase"), resolve(Map.of("XDG_DATA_HOME", "/xdg")).dataDir());
    }
  }

  @Test
  public void dataDirOptionWinsOverEnvironment() throws Exception {
    LaunchSettings s =
        LaunchSettings.resolve(
            Map.of("BRIEFCASE_DATA_DIR", "/data/bc"), USER_HOME, null, Path.of("/other"));
    assertEquals(Path.of("/other"), s.dataDir());
  }

  @Test
  public void badProfileModeIsAnError() {
    LaunchException e =
        assertThrows(
            LaunchException.class, () -> resolve(Map.of("BRIEFCASE_PROFILE_MODE", "prod")));
    assertEquals(
        "invalid BRIEFCASE_PROFILE_MODE 'prod' (expected reference, staging or ga)",
        e.getMessage());
    assertEquals(1, e.exitCode());
  }

  @Test
  public void badAddressAndLevelAreErrors() {
    assertThrows(LaunchException.class, () -> resolve(Map.of("BRIEFCASE_TCP_ADDR", "8080")));
    assertThrows(LaunchException.class, () -> resolve(Map.of("BRIEFCASE_TCP_ADDR", "h:99999")));
    assertThrows(LaunchException.class, () -> resolve(Map.of("BRIEFCASE_LOG_LEVEL", "loud")));
  }

  @Test
  public void otherVariablesBecomeFrameworkPropertiesButSecretsDoNot() throws Exception {
    LaunchSettings s =
        resolve(
            Map.of(
                "BRIEFCASE_STRICT_HOST", "1",
                "BRIEFCASE_SECRET_BACKEND", "file",
                "BRIEFCASE_MASTER_PASSPHRASE", "hunter2",
                "BRIEFCASE_AUTH_TOKEN", "tok",
                "BRIEFCASE_REMOTE_SIGNER_SEED_B64", "seed",
                "OTHER", "x"));
    Map<String, String> props = s.frameworkProperties();
    assertEquals("1", props.get("briefcase.strict.host"));
    assertEquals("file", props.get("briefcase.secret.backend"));
    assertFalse(props.containsKey("briefcase.master.passphrase"));
    assertFalse(props.containsKey("briefcase.auth.token"));
    assertFalse(props.containsKey("briefcase.remote.signer.seed.b64"));
    assertFalse(props.values().contains("hunter2"));
    assertTrue(
        props.keySet().stream()
            .allMatch(k -> k.startsWith("briefcase.") || k.startsWith("org.osgi.")));
  }

  @Test
  public void secretBackendIsValidatedAndMemoryIsRefusedInGa() throws Exception {
    assertEquals(
        "memory",
        resolve(Map.of("BRIEFCASE_SECRET_BACKEND", "memory"))
            .frameworkProperties()
            .get("briefcase.secret.backend"));
    resolve(Map.of("BRIEFCASE_SECRET_BACKEND", "keyring", "BRIEFCASE_PROFILE_MODE", "ga"));
    LaunchException bad =
        assertThrows(
            LaunchException.class, () -> resolve(Map.of("BRIEFCASE_SECRET_BACKEND", "vault")));
    assertTrue(bad.getMessage().contains("BRIEFCASE_SECRET_BACKEND"));
    LaunchException ga =
        assertThrows(
            LaunchException.class,
            () ->
                resolve(
                    Map.of("BRIEFCASE_SECRET_BACKEND", "memory", "BRIEFCASE_PROFILE_MODE", "ga")));
    assertTrue(ga.getMessage().contains("refused in the ga profile"));
    assertEquals(1, ga.exitCode());
  }

  @Test
  public void theSecretBackendIsAlwaysResolvedHereNeverThePassphrase() throws Exception {
    Map<String, String> withPassphrase =
        resolve(Map.of("BRIEFCASE_MASTER_PASSPHRASE", "correct horse")).frameworkProperties();
    assertEquals("file", withPassphrase.get("briefcase.secret.backend"));
    assertFalse(withPassphrase.values().stream().anyMatch(v -> v.contains("correct horse")));
    assertEquals(
        "keyring", resolve(Map.of()).frameworkProperties().get("briefcase.secret.backend"));
    assertEquals(
        "set but empty is no passphrase",
        "keyring",
        resolve(Map.of("BRIEFCASE_MASTER_PASSPHRASE", ""))
            .frameworkProperties()
            .get("briefcase.secret.backend"));
    assertEquals(
        "blank means unset",
        "file",
        resolve(Map.of("BRIEFCASE_SECRET_BACKEND", " ", "BRIEFCASE_MASTER_PASSPHRASE", "x"))
            .frameworkProperties()
            .get("briefcase.secret.backend"));
    assertEquals(
        "named wins, normalised",
        "keyring",
        resolve(Map.of("BRIEFCASE_SECRET_BACKEND", " KeyRing ", "BRIEFCASE_MASTER_PASSPHRASE", "x"))
            .frameworkProperties()
            .get("briefcase.secret.backend"));
  }

  @Test
  public void keyCustodyVariablesReachTheFramework() throws Exception {
    Map<String, String> props =
        resolve(
                Map.of(
                    "BRIEFCASE_KEY_BACKEND", "pkcs11",
                    "BRIEFCASE_ALLOW_SOFTWARE_KEYS", "1"))
            .frameworkProperties();
    assertEquals("pkcs11", props.get("briefcase.key.backend"));
    assertEquals("1", props.get("briefcase.allow.software.keys"));
    // the bundles read only this property, never the environment: the launcher decides its value
    assertEquals(
        "1",
        resolve(Map.of("BRIEFCASE_ALLOW_SOFTWARE_KEYS", "TRUE"))
            .frameworkProperties()
            .get("briefcase.allow.software.keys"));
    assertEquals(
        "0",
        resolve(Map.of("BRIEFCASE_ALLOW_SOFTWARE_KEYS", "no"))
            .frameworkProperties()
            .get("briefcase.allow.software.keys"));
    assertFalse(
        resolve(Map.of()).frameworkProperties().containsKey("briefcase.allow.software.keys"));
  }

  @Test
  public void gaRefusesSoftwareKeysUnlessAllowed() throws Exception {
    LaunchException e =
        assertThrows(
            LaunchException.class,
            () ->
                resolve(
                    Map.of("BRIEFCASE_PROFILE_MODE", "ga", "BRIEFCASE_KEY_BACKEND", "software")));
    assertTrue(e.getMessage(), e.getMessage().contains("BRIEFCASE_ALLOW_SOFTWARE_KEYS=1"));
    resolve(
        Map.of(
            "BRIEFCASE_PROFILE_MODE", "ga",
            "BRIEFCASE_KEY_BACKEND", "software",
            "BRIEFCASE_ALLOW_SOFTWARE_KEYS", "1"));
    resolve(Map.of("BRIEFCASE_KEY_BACKEND", "software"));
    assertThrows(LaunchException.class, () -> resolve(Map.of("BRIEFCASE_KEY_BACKEND", "floppy")));
  }

  @Test
  public void mcpWithoutTokenIsADevelopmentSettingRefusedInGa() throws Exception {
    assertEquals(
        "1",
        resolve(Map.of("BRIEFCASE_MCP_ALLOW_NO_TOKEN", "1"))
            .frameworkProperties()
            .get("briefcase.mcp.allow.no.token"));
    assertFalse(
        resolve(Map.of()).frameworkProperties().containsKey("briefcase.mcp.allow.no.token"));
    LaunchException e =
        assertThrows(
            LaunchException.class,
            () ->
                resolve(
                    Map.of("BRIEFCASE_PROFILE_MODE", "ga", "BRIEFCASE_MCP_ALLOW_NO_TOKEN", "1")));
    assertTrue(e.getMessage(), e.getMessage().startsWith("mcp_token_required: "));
  }

  @Test
  public void tokenFilesOthersCanReadRefuseTheStart() throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("launch-tokens");
    FeatureLauncher.checkTokenFiles(dir); // none yet: fine
    Path token = dir.resolve("auth_token");
    java.nio.file.Files.writeString(token, "x".repeat(43) + "\n");
    java.nio.file.Files.setPosixFilePermissions(
        token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    FeatureLauncher.checkTokenFiles(dir);
    java.nio.file.Files.setPosixFilePermissions(
        token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    LaunchException e =
        assertThrows(LaunchException.class, () -> FeatureLauncher.checkTokenFiles(dir));
    assertTrue(e.getMessage(), e.getMessage().startsWith("token_file_permissions: " + token));
  }
}
