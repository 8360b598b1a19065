package dev.pgtrickle.cli;

import java.util.List;
import java.util.function.Function;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the SQL API's advice (server HINTs speak of {@code refresh_mode => 'AUTO'},
 * {@code cascade => true}, {@code alter_stream_table()}) in the words of this command line.
 */
final class CliWording {

    private record Rewrite(Pattern pattern, Function<MatchResult, String> replacement) {
        String apply(String text) {
            return pattern.matcher(text).replaceAll(match -> Matcher.quoteReplacement(replacement.apply(match)));
        }
    }

    /** In order: calls with arguments before bare arguments, arguments before values. */
    private static final List<Rewrite> REWRITES = List.of(
            rewrite("(?:pgtrickle\\.)?alter_stream_table\\((\\w+) => '?(\\w+)'?\\)",
                    m -> "pgtrickle alter NAME " + flag(m.group(1), m.group(2))),
            rewrite("(?:pgtrickle\\.)?create_or_replace_stream_table\\(\\)", m -> "pgtrickle create --or-replace"),
            rewrite("(?:pgtrickle\\.)?alter_stream_table\\(\\)", m -> "pgtrickle alter"),
            rewrite("(?:pgtrickle\\.)?drop_stream_table\\(\\)", m -> "pgtrickle drop"),
            rewrite("(?:pgtrickle\\.)?refresh_stream_table\\(\\)", m -> "pgtrickle refresh"),
            rewrite("pgtrickle\\.pgt_status\\(\\)", m -> "pgtrickle status"),
            rewrite("(\\w+) => '?(\\w+)'?", m -> flag(m.group(1), m.group(2))),
            rewrite("'(AUTO|FULL|DIFFERENTIAL)'", m -> m.group(1)));

    private CliWording() {
    }

    static String of(String sqlText) {
        String text = sqlText;
        for (Rewrite rewrite : REWRITES) {
            text = rewrite.apply(text);
        }
        return text;
    }

    private static Rewrite rewrite(String regex, Function<MatchResult, String> replacement) {
        return new Rewrite(Pattern.compile(regex), replacement);
    }

    /** {@code refresh_mode, AUTO} → {@code --refresh-mode AUTO}; {@code cascade, true} → {@code --cascade}. */
    private static String flag(String parameter, String value) {
        String option = "--" + parameter.replace('_', '-');
        return value.equals("true") ? option : option + " " + value;
    }
}
