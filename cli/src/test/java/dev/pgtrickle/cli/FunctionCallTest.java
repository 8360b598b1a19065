package dev.pgtrickle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionCallTest {

    @Test
    void passesOnlyTheArgumentsGiven() {
        FunctionCall call = new FunctionCall("pgtrickle.f")
                .arg("name", "t")
                .arg("schedule", null)
                .arg("initialize", false);
        assertEquals("SELECT pgtrickle.f(name => ?, initialize => ?)", call.sql());
        assertEquals(List.of("name", "initialize"), call.argumentNames());
    }
}
