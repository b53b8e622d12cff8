// The decision wizard: click through a path to a result, go back, reload the shared URL and
// get the same result; open the wizard at a question with ?q=; and read the whole tree with
// JavaScript disabled.
import { check, run } from "./lib.mjs";

await run(async (browser, site, [labelsArg, expected, questionId, screenshotDir]) => {
  const labels = labelsArg.split("|");
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(site.url + "decide/");
  for (const label of labels) {
    await page.locator("#wizard button.answer", { hasText: label }).first().click();
  }
  const result = async () => (await page.locator("#wizard h2").textContent()).trim();
  check((await result()) === `Recommendation: ${expected}`, `after clicking ${labels}: ${await result()}`);
  const why = await page.locator("#wizard .why > li").count();
  check(why === labels.length, `the result explains ${why} steps, not ${labels.length}`);
  check((await page.locator("#wizard .because-list a").count()) > 0, "the result links the facts it cites");
  if (screenshotDir) await page.screenshot({ path: `${screenshotDir}/wizard-result.png`, fullPage: false });

  const shared = page.url();
  check(/\?answers=[0-9,]+$/.test(shared), `answers are kept in the URL: ${shared}`);
  await page.locator("#wizard-back").click();
  check((await page.locator("#wizard button.answer").count()) > 0, "back returns to the last question");
  await page.goto(shared);
  check((await result()) === `Recommendation: ${expected}`, `reloading ${shared} gives ${await result()}`);
  await page.locator("#wizard-restart").click();
  check(!page.url().includes("answers="), "restart clears the answers");
  check((await page.locator("#wizard-step").textContent()).startsWith("Question 1 of"), "restart shows question 1");

  await page.goto(site.url + "decide/?q=" + encodeURIComponent(questionId));
  const questionText = await page.locator("#wizard h2").textContent();
  const expectedText = await page.evaluate((id) => {
    const data = JSON.parse(document.getElementById("decision-data").textContent);
    const find = (node) => !node.question ? null : node.question.id === id ? node.question.text : node.answers.map((a) => find(a.next)).find(Boolean);
    return find(data.tree.root);
  }, questionId);
  check(questionText === expectedText, `?q=${questionId} opens "${questionText}", expected "${expectedText}"`);
  check(errors.length === 0, `page errors: ${errors}`);
  await context.close();

  // Without JavaScript: every path is on the page.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto(site.url + "decide/");
  check(await plain.locator("#wizard").isHidden(), "the wizard stays hidden without JavaScript");
  const counts = await plain.evaluate(() => {
    const data = JSON.parse(document.getElementById("decision-data").textContent);
    let leaves = 0;
    const walk = (node) => (node.question ? node.answers.forEach((a) => walk(a.next)) : leaves++);
    walk(data.tree.root);
    return { leaves, listed: document.querySelectorAll(".tree-list .tree-leaf").length };
  });
  check(counts.listed === counts.leaves, `the no-JavaScript tree lists ${counts.listed} of ${counts.leaves} leaves`);
  await noJs.close();
});
