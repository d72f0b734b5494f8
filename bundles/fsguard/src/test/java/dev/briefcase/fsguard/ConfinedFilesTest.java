package dev.briefcase.fsguard;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ConfinedFilesTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path allowed;
  private Path outside;
  private Path secret;

  @Before
  public void setUp() throws IOException {
    allowed = tmp.newFolder("allowed").toPath();
    outside = tmp.newFolder("outside").toPath();
    secret = outside.resolve("passwd");
    Files.writeString(secret, "root:x:0:0:canary");
    Files.writeString(allowed.resolve("ok.txt"), "fine");
  }

  private ConfinedFiles files() {
    return new ConfinedFiles(List.of(allowed.toString()), List.of());
  }

  private static String refusal(ConfinedFiles f, String path) throws IOException {
    try {
      byte[] data = f.read(path, 1 << 20);
      fail("read " + new String(data, StandardCharsets.UTF_8));
    } catch (FsRefusal e) {
      return e.code() + ":" + e.getMessage();
    }
    return null;
  }

  @Test
  public void readsAnAllowedFile() throws IOException {
    assertEquals(
        "fine", new String(files().read(allowed + "/ok.txt", 100), StandardCharsets.UTF_8));
  }

  @Test
  public void missingInsideIsNotFound() throws IOException {
    try {
      files().read(allowed + "/nope", 100);
      fail();
    } catch (NoSuchFileException e) {
      assertFalse(e.getMessage().contains(allowed.toString()));
    }
  }

  @Test
  public void dotDotLeavingThePrefixIsRefused() throws IOException {
    assertEquals(
        "outside_prefix:path is outside the allowed directories",
        refusal(files(), allowed + "/../outside/passwd"));
  }

  @Test
  public void dotDotStayingInsideIsResolvedLexically() throws IOException {
    Files.createDirectory(allowed.resolve("d"));
    assertEquals(
        "fine", new String(files().read(allowed + "/d/../ok.txt", 100), StandardCharsets.UTF_8));
  }

  @Test
  public void existingAndMissingOutsidePathsGetTheSameAnswer() throws IOException {
    String existing = refusal(files(), secret.toString());
    String missing = refusal(files(), outside.resolve("no-such-file").toString());
    String missingDir = refusal(files(), outside.resolve("no/such/dir").toString());
    assertEquals(existing, missing);
    assertEquals(existing, missingDir);
  }

  @Test
  public void symlinkOutOfThePrefixIsRefusedWhetherItsTargetExistsOrNot() throws IOException {
    Files.createSymbolicLink(allowed.resolve("link"), secret);
    Files.createSymbolicLink(allowed.resolve("dangling"), outside.resolve("missing"));
    String a = refusal(files(), allowed + "/link");
    assertEquals("outside_prefix:path is outside the allowed directories", a);
    assertEquals(a, refusal(files(), allowed + "/dangling"));
  }

  @Test
  public void symlinkedParentDirectoryIsRefused() throws IOException {
    Files.createSymbolicLink(allowed.resolve("sub"), outside);
    assertEquals(
        "outside_prefix:path is outside the allowed directories",
        refusal(files(), allowed + "/sub/passwd"));
  }

  @Test
  public void relativeSymlinkWithDotDotOutIsRefused() throws IOException {
    Files.createDirectory(allowed.resolve("d"));
    Files.createSymbolicLink(allowed.resolve("d/up"), Path.of("../../outside"));
    assertEquals(
        "outside_prefix:path is outside the allowed directories",
        refusal(files(), allowed + "/d/up/passwd"));
  }

  @Test
  public void symlinkInsideThePrefixIsFollowed() throws IOException {
    Files.createDirectory(allowed.resolve("real"));
    Files.writeString(allowed.resolve("real/f"), "inner");
    Files.createSymbolicLink(allowed.resolve("alias"), Path.of("real"));
    assertEquals(
        "inner", new String(files().read(allowed + "/alias/f", 100), StandardCharsets.UTF_8));
  }

  @Test
  public void symlinkLoopIsRefused() throws IOException {
    Files.createSymbolicLink(allowed.resolve("a"), allowed.resolve("b"));
    Files.createSymbolicLink(allowed.resolve("b"), allowed.resolve("a"));
    assertEquals("too_many_links:too many symlinks", refusal(files(), allowed + "/a"));
  }

  @Test
  public void relativeDirectoryAndLargeFilesAreRefused() throws IOException {
    assertTrue(refusal(files(), "ok.txt").startsWith("not_absolute:"));
    assertTrue(refusal(files(), allowed.toString()).startsWith("not_a_file:"));
    Files.write(allowed.resolve("big"), new byte[200]);
    try {
      files().read(allowed + "/big", 100);
      fail();
    } catch (FsRefusal e) {
      assertEquals(FsRefusal.TOO_LARGE, e.code());
    }
  }

  @Test
  public void parentDirectorySwappedForASymlinkBetweenCheckAndOpenIsNotFollowed()
      throws IOException {
    Path sub = Files.createDirectory(allowed.resolve("sub"));
    Files.writeString(sub.resolve("passwd"), "harmless");
    Consumer<Path> swap =
        p -> {
          if (p.equals(sub)) {
            flip(sub, outside);
          }
        };
    ConfinedFiles f = new ConfinedFiles(List.of(allowed.toString()), List.of(), swap);
    assertEquals(
        "outside_prefix:path is outside the allowed directories", refusal(f, sub + "/passwd"));
  }

  @Test
  public void fileSwappedForASymlinkBetweenCheckAndOpenIsNotFollowed() throws IOException {
    Path target = allowed.resolve("ok.txt");
    Consumer<Path> swap =
        p -> {
          if (p.equals(target)) {
            try {
              Files.delete(target);
              Files.createSymbolicLink(target, secret);
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          }
        };
    ConfinedFiles f = new ConfinedFiles(List.of(allowed.toString()), List.of(), swap);
    assertEquals("changed:file changed while it was opened", refusal(f, target.toString()));
  }

  @Test
  public void aRacingSymlinkFlipNeverReadsOutside() throws Exception {
    Path sub = allowed.resolve("sub");
    Path parked = allowed.resolve("sub.dir");
    Path link = allowed.resolve("sub.link");
    Files.createDirectory(sub);
    Files.writeString(sub.resolve("passwd"), "harmless");
    AtomicBoolean stop = new AtomicBoolean();
    Thread flipper =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  // the real directory out, a symlink out of the prefix in, and back
                  Files.move(sub, parked, StandardCopyOption.ATOMIC_MOVE);
                  Files.createSymbolicLink(link, outside);
                  Files.move(link, sub, StandardCopyOption.ATOMIC_MOVE);
                  Files.delete(sub);
                  Files.move(parked, sub, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                  // keep flipping
                }
              }
            });
    flipper.start();
    ConfinedFiles f = files();
    int read = 0;
    int refused = 0;
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (System.nanoTime() < end) {
        try {
          byte[] data = f.read(sub + "/passwd", 100);
          assertEquals("harmless", new String(data, StandardCharsets.UTF_8));
          read++;
        } catch (FsRefusal e) {
          refused++;
        } catch (IOException e) {
          // a moment without the directory: not found
        }
      }
    } finally {
      stop.set(true);
      flipper.join(5000);
    }
    assertTrue("no call ran: " + read + "/" + refused, read + refused > 0);
  }

  @Test
  public void protectedPathsAreRefusedEvenUnderAnAllowedRoot() throws IOException {
    Path data = tmp.newFolder("data").toPath();
    Files.writeString(data.resolve("auth_token"), "tok");
    Path trust = tmp.newFolder("trust").toPath();
    Files.writeString(trust.resolve("vendor.pem"), "cert");
    ConfinedFiles f = new ConfinedFiles(List.of("/"), List.of(data, trust));
    assertEquals("protected_path:protected_path", refusal(f, data + "/auth_token"));
    assertEquals("protected_path:protected_path", refusal(f, trust + "/vendor.pem"));
    assertEquals("protected_path:protected_path", refusal(f, data + "/missing"));
    assertEquals("protected_path:protected_path", refusal(f, allowed + "/../data/auth_token"));
    // the rest of the filesystem still reads
    assertEquals("fine", new String(f.read(allowed + "/ok.txt", 100), StandardCharsets.UTF_8));
  }

  @Test
  public void aSymlinkOrHardLinkIntoAProtectedPathIsRefused() throws IOException {
    Path data = tmp.newFolder("data").toPath();
    Path token = data.resolve("auth_token");
    Files.writeString(token, "tok");
    Files.createSymbolicLink(allowed.resolve("tok"), token);
    Files.createSymbolicLink(allowed.resolve("datadir"), data);
    ConfinedFiles f = new ConfinedFiles(List.of(tmp.getRoot().toString()), List.of(data));
    assertEquals("protected_path:protected_path", refusal(f, allowed + "/tok"));
    assertEquals("protected_path:protected_path", refusal(f, allowed + "/datadir/auth_token"));
    Path hard;
    try {
      hard = Files.createLink(allowed.resolve("hard"), token);
    } catch (IOException | UnsupportedOperationException e) {
      return;
    }
    assertEquals("protected_path:protected_path", refusal(f, hard.toString()));
  }

  @Test
  public void writesStayInsideAndNeverFollowAFinalSymlink() throws IOException {
    ConfinedFiles f = files();
    f.write(allowed + "/new.txt", "data".getBytes(StandardCharsets.UTF_8));
    assertEquals("data", Files.readString(allowed.resolve("new.txt")));
    f.write(allowed + "/new.txt", "x".getBytes(StandardCharsets.UTF_8));
    assertEquals("x", Files.readString(allowed.resolve("new.txt")));
    Files.createSymbolicLink(allowed.resolve("link"), secret);
    try {
      f.write(allowed + "/link", new byte[] {1});
      fail();
    } catch (FsRefusal e) {
      assertEquals(FsRefusal.SYMLINK, e.code());
    }
    Files.createSymbolicLink(allowed.resolve("sub"), outside);
    try {
      f.write(allowed + "/sub/passwd", new byte[] {1});
      fail();
    } catch (FsRefusal e) {
      assertEquals(FsRefusal.OUTSIDE, e.code());
    }
    assertEquals("root:x:0:0:canary", Files.readString(secret));
    assertFalse(Files.exists(outside.resolve("new.txt")));
  }

  @Test
  public void aWriteNeverTouchesAProtectedFile() throws IOException {
    Path data = tmp.newFolder("data").toPath();
    Path key = data.resolve("master.key");
    Files.writeString(key, "k");
    ConfinedFiles f = new ConfinedFiles(List.of("/"), List.of(key));
    try {
      f.write(key.toString(), new byte[] {1});
      fail();
    } catch (FsRefusal e) {
      assertEquals(FsRefusal.PROTECTED, e.code());
    }
    assertArrayEquals("k".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(key));
    assertNotEquals(FsRefusal.PROTECTED, codeOf(f, data + "/other"));
  }

  private static String codeOf(ConfinedFiles f, String path) throws IOException {
    try {
      f.read(path, 100);
      return "read";
    } catch (FsRefusal e) {
      return e.code();
    } catch (NoSuchFileException e) {
      return "not_found";
    }
  }

  private static void flip(Path dir, Path target) {
    try {
      try (var s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
      Files.createSymbolicLink(dir, target);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
