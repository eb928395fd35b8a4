// Entry point on every page: wires the behaviour modules to the server-rendered markup.
import { initSignIn } from "./sign-in.js";
import { initWalletStatus } from "./wallet-status.js";

initSignIn(document);
initWalletStatus().catch((error) => console.error(error));
