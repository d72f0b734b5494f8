package dev.briefcase.json;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

public class JsonTreeTest {

  @Test
  public void copyKeepsOrderNullsAndEveryNumberAsHeld() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("z", "text");
    in.put("a", null);
    in.put("int", 7);
    in.put("long", 1L << 40);
    in.put("big", new BigInteger("123456789012345678901234567890"));
    in.put("dec", new BigDecimal("0.10000000000000000000001"));
    in.put("trailing", new BigDecimal("1.500"));
    in.put("dbl", 0.1);
    in.put("list", Arrays.asList(1, null, true));

    Map<String, Object> out = JsonTree.copyOfObject(in);

    assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
    assertTrue(out.containsKey("a"));
    assertNull(out.get("a"));
    assertEquals(new BigDecimal("0.10000000000000000000001"), out.get("dec"));
    assertEquals("1.500", out.get("trailing").toString());
    assertSame(in.get("big"), out.get("big"));
    assertEquals(Double.valueOf(0.1), out.get("dbl"));
    assertEquals(Arrays.asList(1, null, true), out.get("list"));
  }

  @Test
  public void theCopyIsDeepAndUnmodifiable() {
    List<Object> inner = new ArrayList<>(List.of("x"));
    Map<String, Object> in = new HashMap<>(Map.of("inner", inner));
    Map<String, Object> out = JsonTree.copyOfObject(in);

    inner.add("added later");
    in.put("added", 1);
    assertEquals(List.of("x"), out.get("inner"));
    assertEquals(1, out.size());

    expectUnsupported(() -> out.put("k", 1));
    expectUnsupported(() -> ((List<Object>) out.get("inner")).add("y"));
  }

  @Test
  public void refusesWhatIsNotJson() {
    expectRefused(Map.of("n", Double.NaN), "$.n: number is not finite");
    expectRefused(Map.of("n", Float.POSITIVE_INFINITY), "$.n: number is not finite");
    expectRefused(Map.of("n", new AtomicLong(1)), "$.n: java.util.concurrent.atomic.AtomicLong");
    expectRefused(Map.of("l", List.of("a", new Object())), "$.l[1]: java.lang.Object");
    expectRefused(Map.of("m", Map.of(1, "x")), "$.m: object key is not a string");
    expectRefused(Map.of("c", 'c'), "$.c: java.lang.Character");
    try {
      JsonTree.copyOfObject(null);
      fail("null is not an object");
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage().startsWith("$:"));
    }
  }

  @Test
  public void refusedMessagesNameThePathNotTheValue() {
    try {
      JsonTree.copyOf(Map.of("password", List.of(new StringBuilder("hunter2"))));
      fail("a StringBuilder is not a JSON value");
    } catch (IllegalArgumentException expected) {
      assertEquals(
          "$.password[0]: java.lang.StringBuilder is not a JSON value", expected.getMessage());
    }
  }

  @Test
  public void aCycleOrTooDeepATreeIsRefusedNotAStackOverflow() {
    Map<String, Object> cyclic = new HashMap<>();
    cyclic.put("self", cyclic);
    expectRefused(cyclic, "$.self: cyclic");

    Object deep = "leaf";
    for (int i = 0; i < JsonTree.MAX_DEPTH; i++) {
      deep = List.of(deep);
    }
    assertTrue(JsonTree.copyOf(deep) instanceof List);
    expectRefused(List.of(deep), "nested deeper than " + JsonTree.MAX_DEPTH);
  }

  @Test(timeout = 10_000)
  public void aMapHoldingItselfIsRefusedAsACycleAtOnce() {
    // refused as a cycle at its first repetition, not walked down to MAX_DEPTH
    Map<String, Object> hostile = new LinkedHashMap<>();
    hostile.put("a", hostile);
    hostile.put("b", hostile);
    expectRefused(hostile, "$.a: cyclic");

    List<Object> list = new ArrayList<>();
    list.add(Map.of("back", list));
    expectRefused(list, "$[0].back: cyclic");
  }

  @Test(timeout = 20_000)
  public void aSharedSubtreeExpandingPastTheValueLimitIsRefused() {
    // acyclic, 1000 references to one list per level: 10^12 values once expanded
    Object shared = "x";
    for (int level = 0; level < 4; level++) {
      shared = java.util.Collections.nCopies(1000, shared);
    }
    expectRefused(shared, "more than " + JsonTree.MAX_NODES + " values");

    // sharing as such is fine
    List<Object> leaf = List.of(1, 2);
    assertEquals(List.of(leaf, leaf), JsonTree.copyOf(List.of(leaf, leaf)));
  }

  /** A number whose text changes at each reading: one value measured, another one shipped. */
  private static final class Shifty extends BigInteger {
    private static final long serialVersionUID = 1L;
    private int readings;

    Shifty() {
      super("1");
    }

    @Override
    public String toString() {
      return ++readings == 1 ? "1" : "9".repeat(10_000_000);
    }
  }

  private static final class ShiftyDecimal extends BigDecimal {
    private static final long serialVersionUID = 1L;

    ShiftyDecimal() {
      super("0.5");
    }

    @Override
    public String toString() {
      return "0.5, \"injected\": true";
    }
  }

  @Test
  public void numberSubclassesAreRefused() {
    expectRefused(Map.of("n", new Shifty()), "$.n: " + Shifty.class.getName());
    expectRefused(List.of(new ShiftyDecimal()), "$[0]: " + ShiftyDecimal.class.getName());
  }

  @Test(timeout = 10_000)
  public void overLongNumbersAreRefusedBeforeAnyoneFormatsThem() {
    // a million digits: cheap to build, seconds of CPU for every toString
    BigInteger huge = BigInteger.ONE.shiftLeft(3_400_000).subtract(BigInteger.ONE);
    expectRefused(Map.of("n", huge), "$.n: number has more than 1000 digits");
    expectRefused(Map.of("n", new BigDecimal(huge, 5)), "$.n: number has more than 1000 digits");

    BigInteger thousandNines =
        BigInteger.TEN.pow(JsonTree.MAX_NUMBER_DIGITS).subtract(BigInteger.ONE);
    assertSame(thousandNines, JsonTree.copyOf(thousandNines));
    expectRefused(thousandNines.add(BigInteger.ONE), "more than 1000 digits");
    BigDecimal tiny = new BigDecimal(BigInteger.ONE, 999_999_999);
    assertSame(tiny, JsonTree.copyOf(tiny));
  }

  @Test
  public void scalarsAndNullPassThrough() {
    assertNull(JsonTree.copyOf(null));
    assertEquals("s", JsonTree.copyOf("s"));
    assertEquals(Boolean.TRUE, JsonTree.copyOf(true));
    assertEquals(3, JsonTree.copyOf(3));
  }

  private static void expectRefused(Object value, String messagePart) {
    try {
      JsonTree.copyOf(value);
      fail("accepted " + value.getClass());
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains(messagePart));
    }
  }

  private static void expectUnsupported(Runnable r) {
    try {
      r.run();
      fail("modified an unmodifiable tree");
    } catch (UnsupportedOperationException expected) {
      // the copy cannot be changed
    }
  }
}
