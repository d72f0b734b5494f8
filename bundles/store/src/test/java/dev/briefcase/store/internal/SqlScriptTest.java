package dev.briefcase.store.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.junit.Test;

public class SqlScriptTest {

  @Test
  public void splitsOnSemicolonsOutsideQuotesAndComments() {
    assertEquals(
        List.of(
            "CREATE TABLE \"a;b\"(x TEXT)",
            "INSERT INTO \"a;b\" VALUES ('x;''y')",
            "SELECT [c;d], `e;f` FROM t"),
        SqlScript.split(
            "CREATE TABLE \"a;b\"(x TEXT);\n-- line; comment\n"
                + "INSERT INTO \"a;b\" VALUES ('x;''y');/* block; */\n"
                + "SELECT [c;d], `e;f` FROM t;;  "));
  }

  @Test
  public void emptyScriptHasNoStatements() {
    assertEquals(List.of(), SqlScript.split(" ; -- only a comment"));
  }

  @Test
  public void unterminatedTextIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> SqlScript.split("SELECT 'x"));
    assertThrows(IllegalArgumentException.class, () -> SqlScript.split("SELECT 1 /* x"));
  }
}
