// The decision wizard: one question at a time over the tree derived at build time. The
// answers live in the URL (?answers=0,1,2) so a result can be bookmarked and shared; ?q=
// opens the wizard at the first place a question is asked. Without JavaScript the page
// lists every path instead.

const data = JSON.parse(document.getElementById("decision-data").textContent);
const wizard = document.getElementById("wizard");
const body = document.getElementById("wizard-body");
const stepLabel = document.getElementById("wizard-step");
const bar = document.getElementById("wizard-bar");
const back = document.getElementById("wizard-back");
const restart = document.getElementById("wizard-restart");
const root = new URL("..", document.baseURI.replace(/[?#].*$/, "")).href;

/** The node reached by following answer indexes, or null when they do not fit the tree. */
function follow(answers) {
  let node = data.tree.root;
  for (const answer of answers) {
    if (!node.question || !node.answers[answer]) return null;
    node = node.answers[answer].next;
  }
  return node;
}

/** The longest number of questions still to come below a node. */
function depth(node) {
  return node.question ? 1 + Math.max(...node.answers.map((a) => depth(a.next))) : 0;
}

/** Answers leading to the first (breadth-first) node asking the question `id`. */
function pathTo(id) {
  const queue = [[data.tree.root, []]];
  while (queue.length) {
    const [node, path] = queue.shift();
    if (!node.question) continue;
    if (node.question.id === id) return path;
    node.answers.forEach((a, i) => queue.push([a.next, [...path, i]]));
  }
  return null;
}

function readState() {
  const params = new URLSearchParams(location.search);
  if (params.has("answers")) {
    const answers = params.get("answers").split(",").filter((x) => x !== "").map(Number);
    if (answers.every(Number.isInteger) && follow(answers)) return answers;
  }
  if (params.has("q")) return pathTo(params.get("q")) ?? [];
  return [];
}

let answers = readState();

function go(next, push = true) {
  answers = next;
  if (push) {
    const url = new URL(location.href);
    url.search = answers.length ? `?answers=${answers.join(",")}` : "";
    history.pushState({ answers }, "", url);
  }
  show();
}

function element(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "html") el.innerHTML = value; // sanitized at build time
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value);
  }
  for (const child of children) el.append(child);
  return el;
}

function subjectLink(id) {
  const subject = data.subjects[id];
  return element("a", { href: root + subject.href, text: subject.name });
}

function showQuestion(node) {
  const buttons = node.answers.map((answer, i) => {
    const button = element("button", { type: "button", class: "answer", "data-key": String(i + 1) }, [
      element("span", { class: "key", text: String(i + 1), "aria-hidden": "true" }),
      element("span", { text: answer.label }),
    ]);
    button.addEventListener("click", () => go([...answers, i]));
    return button;
  });
  const heading = element("h2", { id: "wizard-question", tabindex: "-1", text: node.question.text });
  body.replaceChildren(heading);
  if (node.question.help_html) body.append(element("div", { class: "help", html: node.question.help_html }));
  body.append(element("div", { class: "answers", role: "group", "aria-labelledby": "wizard-question" }, buttons));
  return heading;
}

function factItem(id) {
  const fact = data.facts[id];
  if (!fact) return element("li", { text: id });
  return element("li", {}, [
    element("a", { href: root + fact.href }, [element("span", { class: "fact-title", text: fact.title })]),
    element("div", { class: "statement", html: fact.statement_html }),
  ]);
}

function showResult(node) {
  const [best, second] = node.leaf.ranking;
  const heading = element("h2", { id: "wizard-question", tabindex: "-1" });
  body.replaceChildren(heading);
  if (!best) {
    heading.textContent = "No option fits these answers.";
    return heading;
  }
  heading.append("Recommendation: ", subjectLink(best.subject));
  if (second) {
    const tied = second.score === best.score;
    body.append(element("p", { class: "runner-up" }, [
      tied ? "Tied with " : "Runner-up: ",
      subjectLink(second.subject),
      ` (scores ${best.score} and ${second.score}${tied ? "; the first listed option is shown first" : ""})`,
    ]));
  }
  const steps = answers.map((answer, i) => {
    const node = follow(answers.slice(0, i));
    const chosen = node.answers[answer];
    return element("li", {}, [
      element("p", {}, [element("span", { class: "q-text", text: node.question.text }), " ", element("span", { class: "answer-label", text: chosen.label })]),
      element("ul", { class: "because-list" }, chosen.because.map(factItem)),
    ]);
  });
  if (steps.length) body.append(element("h3", { text: "Why" }), element("ol", { class: "why" }, steps));
  return heading;
}

function show() {
  const node = follow(answers) ?? data.tree.root;
  const remaining = depth(node);
  const total = answers.length + remaining;
  stepLabel.textContent = node.question
    ? `Question ${answers.length + 1} of at most ${total}`
    : `Answered ${answers.length} question${answers.length === 1 ? "" : "s"}`;
  bar.max = Math.max(total, 1);
  bar.value = answers.length;
  back.disabled = answers.length === 0;
  restart.disabled = answers.length === 0;
  const heading = node.question ? showQuestion(node) : showResult(node);
  if (document.activeElement !== document.body && wizard.contains(document.activeElement)) heading.focus();
}

back.addEventListener("click", () => go(answers.slice(0, -1)));
restart.addEventListener("click", () => go([]));
addEventListener("popstate", () => {
  answers = readState();
  show();
});
wizard.addEventListener("keydown", (event) => {
  const button = body.querySelector(`button[data-key="${event.key}"]`);
  if (button && !event.altKey && !event.ctrlKey && !event.metaKey) button.click();
});

wizard.hidden = false;
document.querySelector(".decision-tree details")?.removeAttribute("open");
show();
