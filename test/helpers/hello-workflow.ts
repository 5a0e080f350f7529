/** The example workflow (`hello.yaml`), shared by the tests that run or parse it. */
export const HELLO = `name: hello
executor: steps
inputs:
  who: { type: string, default: world }
steps:
  - type_text: "hello {{input.who}}"
  - press_keys: ["enter"]
  - screenshot: true
`;
