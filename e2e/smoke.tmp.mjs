import * as h from "./harness.mjs";
const demo = await h.startDemo();
const browser = await h.launchBrowser();
try {
  for (const screen of [h.DESKTOP_SCREEN, h.PHONE_SCREEN]) {
    const { context, page } = await h.managerPage(browser, demo, screen);
    page.on("console", (m) => console.log("console:", m.text()));
    await new Promise((d) => setTimeout(d, 2000));
    await page.screenshot({ path: `/tmp/pagecheck/${screen.width}.png`, fullPage: true });
    await context.close();
  }
  console.log("csp", h.cspViolations);
} finally {
  await browser.close();
  await demo.stop();
}
