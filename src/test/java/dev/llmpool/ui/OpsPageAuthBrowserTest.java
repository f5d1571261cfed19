package dev.llmpool.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.auth.ApiKeys;

/**
 * The operations page with authentication on, in a real browser ({@link HeadlessChromium}): without a key it says an
 * admin key is needed and shows no provider; a tenant that is no admin is told so; with an admin tenant's key
 * (typed into the page, kept in sessionStorage) it shows every provider and its form's request goes through.
 */
class OpsPageAuthBrowserTest extends PoolTestSupport {

    private static final String ADMIN_KEY = "lp_ops-admin-key-0123456789";
    private static final String OTHER_KEY = "lp_ops-other-key-9876543210";

    private WebDriver browser;

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=10000
                pool.auth.enabled=true
                pool.tenants.ops.api-key-sha256=%s
                pool.tenants.ops.admin=true
                pool.tenants.team.api-key-sha256=%s
                """.formatted(ApiKeys.sha256Hex(ADMIN_KEY), ApiKeys.sha256Hex(OTHER_KEY));
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
    }

    @Test
    void asksForAnAdminKeyThenShowsThePoolWithIt() {
        browser.get("http://127.0.0.1:" + port + "/ui/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("connection"), "admin API key is needed"));
        assertEquals(0, browser.findElements(By.cssSelector("#providers tbody tr")).size());

        useKey(OTHER_KEY);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("connection"), "not an admin tenant"));
        assertEquals(0, browser.findElements(By.cssSelector("#providers tbody tr")).size());

        useKey(ADMIN_KEY);
        wait.until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 3);
        wait.until(ExpectedConditions.textToBe(By.id("connection"), ""));
        assertEquals(ADMIN_KEY, ((JavascriptExecutor) browser)
                .executeScript("return sessionStorage.getItem('llmpool.adminKey')"));
        assertEquals("", browser.findElement(By.id("admin-key")).getAttribute("value"), "the field does not keep it");

        // the form's request carries the key too: the pool answers it rather than a 401
        new Select(browser.findElement(By.id("try-task"))).selectByValue("enrich_metadata");
        browser.findElement(By.id("try-prompt")).sendKeys("hello");
        browser.findElement(By.id("try-send")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("result-content")));
        assertEquals("phi3 says hello", browser.findElement(By.id("result-content")).getText());

        // forgetting it: the page asks again
        browser.findElement(By.id("key-forget")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("connection"), "admin API key is needed"));
        assertTrue(((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('llmpool.adminKey')") == null);
    }

    private void useKey(String key) {
        browser.findElement(By.id("admin-key")).sendKeys(key);
        browser.findElement(By.id("key-use")).click();
    }
}
