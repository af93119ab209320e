// The Kernel's mapping of `ip -force -batch` errors back to the commands that caused them, on
// stderr exactly as iproute2 6.1 prints it (captured from the runs this parser serves).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { batchFailures, isAlreadyGone, KernelError } from "../../host/net/kernel";

const commands = ["route replace 10.1.0.0/24 via 1.2.3.4 dev lo", "link set lo up", "route del 10.9.9.0/24", "address add 1.1.1.1/32 dev nosuch", "link set lo up"];

test("each 'Command failed -:N' takes the message lines before it and names command N", () => {
  const stderr = 'Error: Nexthop has invalid gateway.\nCommand failed -:1\nRTNETLINK answers: No such process\nCommand failed -:3\nCannot find device "nosuch"\nCommand failed -:4\n';
  assert.equal(batchFailures(commands, stderr), [
    { index: 0, command: commands[0], message: "Error: Nexthop has invalid gateway." },
    { index: 2, command: commands[2], message: "RTNETLINK answers: No such process" },
    { index: 3, command: commands[3], message: 'Cannot find device "nosuch"' },
  ]);
});

test("a failure without a message line and a line number past the batch are still reported", () => {
  assert.equal(batchFailures(["link set lo up"], "Command failed -:1\nCommand failed -:7\n"), [
    { index: 0, command: "link set lo up", message: "failed" },
    { index: 6, command: "line 7", message: "failed" },
  ]);
  assert.equal(batchFailures(commands, ""), []);
});

test("a message with no 'Command failed' after it (iproute2 left the batch: a failed neigh) is the last command's", () => {
  const batch = ["route del 10.9.9.0/24", "neigh del 10.244.2.0 dev eth0"];
  assert.equal(batchFailures(batch, "RTNETLINK answers: No such process\nCommand failed -:1\nRTNETLINK answers: No such file or directory\n"), [
    { index: 0, command: batch[0], message: "RTNETLINK answers: No such process" },
    { index: 1, command: batch[1], message: "RTNETLINK answers: No such file or directory" },
  ]);
});

test("'already gone' is told apart from a real refusal, for a failure and for a KernelError", () => {
  assert.ok(isAlreadyGone({ index: 0, command: "route del 10.9.9.0/24", message: "RTNETLINK answers: No such process" }));
  assert.ok(isAlreadyGone(new KernelError([{ index: 0, command: "link del x", message: 'Cannot find device "x"' }])));
  assert.not.ok(isAlreadyGone({ index: 0, command: "route replace …", message: "RTNETLINK answers: File exists" }));
  assert.is(new KernelError([{ index: 0, command: "link del x", message: "Operation not permitted" }], "(in /var/run/netns/p) ").message, "(in /var/run/netns/p) link del x: Operation not permitted");
});

test.run();
