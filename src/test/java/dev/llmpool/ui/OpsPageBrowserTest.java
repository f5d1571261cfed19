package dev.llmpool.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.llmpool.PoolTestSupport;

/**
 * The operations page in a real browser ({@link HeadlessChromium}). It loads, lists every provider with its state,
 * shows a breaker opening within 2 s without a reload, and its form sends a VOTING request and shows the votes.
 */
class OpsPageBrowserTest extends PoolTestSupport {

    private WebDriver browser;

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=10000
                pool.providers.phi3.breaker.minimum-calls=2
                pool.providers.phi3.breaker.sliding-window-size=4
                pool.providers.phi3.breaker.wait-in-open-seconds=600
                pool.tasks.vote_trio.providers=phi3,llama31,gemma2
                pool.tasks.vote_trio.strategy=FASTEST
                pool.tasks.vote_trio.prompt=prompts/expand_queries.md
                pool.tasks.vote_trio.deadline-ms=5000
                """;
    }

    @BeforeEach
    void openBrowser() {
        browser = HeadlessChromium.open();
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
        A.restart();
    }

    @Test
    void showsProvidersFollowsABreakerLiveAndSendsAVotingRequest() throws Exception {
        browser.get("http://127.0.0.1:" + port + "/ui/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
        wait.until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 3);
        for (String p : List.of("phi3", "llama31", "gemma2")) {
            wait.until(ExpectedConditions.textToBe(cell(p, "circuit"), "CLOSED"));
            wait.until(ExpectedConditions.textToBe(cell(p, "health"), "UP"));
        }
        assertEquals("UP", browser.findElement(By.id("pool-status")).getText());
        assertEquals("LLM Pool · Operations", browser.getTitle());

        // phi3's backend goes away: its calls fail and its breaker opens after 2 of them
        A.stop();
        for (int i = 0; i < 2; i++) {
            assertEquals(503, infer("{\"task\":\"enrich_metadata\",\"prompt\":\"down " + i + "\"}").statusCode());
        }
        new WebDriverWait(browser, Duration.ofSeconds(2))
                .until(ExpectedConditions.textToBe(cell("phi3", "circuit"), "OPEN"));
        assertEquals("CLOSED", browser.findElement(cell("llama31", "circuit")).getText());
        wait.until(ExpectedConditions.textToBe(By.id("pool-status"), "DOWN")); // enrich_metadata has only phi3

        // the form: a VOTING request to a task whose voters agree
        B.model("llama3.1:8b").answer("blue");
        C.model("gemma2:9b").answer("blue");
        new Select(browser.findElement(By.id("try-task"))).selectByValue("vote_trio");
        new Select(browser.findElement(By.id("try-strategy"))).selectByValue("VOTING");
        WebElement prompt = browser.findElement(By.id("try-prompt"));
        prompt.sendKeys("what colour is the sky?");
        browser.findElement(By.id("try-send")).click();
        WebElement votes = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("result-votes")));
        List<WebElement> rows = votes.findElements(By.cssSelector("tbody tr"));
        assertEquals(1, rows.size(), votes.getText());
        assertEquals("blue", rows.get(0).findElement(By.cssSelector(".answer")).getText());
        assertEquals("2", rows.get(0).findElement(By.cssSelector(".votes")).getText());
        assertEquals("blue", browser.findElement(By.id("result-content")).getText());
        assertTrue(browser.findElement(By.id("try-result")).getText().contains("VOTING"));
        // the request shows among the recent ones, without its prompt (pool.ui.show-prompts is off)
        wait.until(d -> d.findElement(By.id("recent")).getText().contains("vote_trio"));
        assertTrue(!browser.findElement(By.id("recent")).getText().contains("colour"));

        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", "ops-page.png");
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(target) > 10_000, "a screenshot of the page");
    }

    private static By cell(String provider, String column) {
        return By.cssSelector("#providers tr[data-provider='" + provider + "'] td." + column);
    }
}
