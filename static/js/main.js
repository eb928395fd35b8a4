// Entry point on every page: wires the behaviour modules to the server-rendered markup.
import { initNavMenu } from "./nav-menu.js";
import { initSignIn } from "./sign-in.js";
import { initWalletStatus } from "./wallet-status.js";

initNavMenu(document);
initSignIn(document);
initWalletStatus().catch((error) => console.error(error));
