"""Signing in with a wallet, as a person does it: in Chromium, with a wallet that really signs."""

import re

from django.conf import settings
from eth_account import Account
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.helpers import flash, header_account, sign_in, sign_out, snapshot
from tests.e2e.wallet import DEV_KEYS


def test_connect_sign_in_see_address_and_sign_out(page, wallet):
    page.goto("/")
    expect(page.get_by_test_id("sign-in")).to_have_text("Sign in with wallet")
    page.get_by_test_id("sign-in").click()

    account = header_account(page)
    expect(account).to_have_attribute("data-address", wallet.address)
    expect(account).to_contain_text(f"{wallet.address[:6]}…{wallet.address[-4:]}")
    expect(flash(page, "success")).to_contain_text("Signed in as")
    assert wallet.methods_called()[-1] == "personal_sign"
    assert {"eth_requestAccounts", "eth_chainId"} <= set(wallet.methods_called())
    assert User.objects.filter(address=wallet.address).exists()

    sign_out(page)
    expect(flash(page, "info")).to_have_text("You are signed out.")
    expect(header_account(page)).to_have_count(0)


def test_rejected_signature_shows_a_clear_message_and_retry_works(page, wallet):
    wallet.reject_signatures = True
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    expect(flash(page, "error")).to_contain_text("You declined to sign the message")
    expect(header_account(page)).to_have_count(0)
    expect(page.get_by_test_id("sign-in")).to_be_enabled()

    wallet.reject_signatures = False
    page.get_by_test_id("sign-in").click()
    expect(header_account(page)).to_have_attribute("data-address", wallet.address)


def test_rejected_connection_shows_a_clear_message(page, wallet):
    wallet.reject_connect = True
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    expect(flash(page, "error")).to_contain_text("You declined the connection request")
    assert "personal_sign" not in wallet.methods_called()


def test_wrong_chain_prompts_a_switch(page, wallet):
    wallet.chain_id = 1
    wallet.known_chains = {1, settings.CHAIN_ID}
    sign_in(page, wallet)
    calls = wallet.methods_called()
    assert calls.index("wallet_switchEthereumChain") < calls.index("personal_sign")
    assert "wallet_addEthereumChain" not in calls
    assert wallet.chain_id == settings.CHAIN_ID


def test_wallet_without_our_chain_is_asked_to_add_it(page, wallet):
    wallet.chain_id = 1
    wallet.known_chains = {1}
    sign_in(page, wallet)
    (params,) = dict(wallet.calls)["wallet_addEthereumChain"]
    assert params["chainId"] == hex(settings.CHAIN_ID)
    assert params["rpcUrls"] and params["nativeCurrency"]["decimals"] == 18
    assert wallet.chain_id == settings.CHAIN_ID


def test_declined_chain_switch_says_which_chain(page, wallet):
    wallet.chain_id = 1
    wallet.reject_chain_switch = True
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    expect(flash(page, "error")).to_contain_text(f"chain id {settings.CHAIN_ID}")
    expect(flash(page, "error")).to_contain_text("declined the switch")
    assert "personal_sign" not in wallet.methods_called()


def test_no_wallet_installed_says_how_to_get_one(context):
    page = context.new_page()
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    expect(flash(page, "error")).to_contain_text("No Ethereum wallet was found")
    expect(flash(page, "error")).to_contain_text("MetaMask")


def test_several_wallets_get_a_picker(context, wallet, make_wallet):
    other = make_wallet(2, name="Other Wallet", rdns="org.example.other", legacy=False)
    wallet.install(context)
    other.install(context)
    page = context.new_page()
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    picker = page.locator("[data-wallet-picker]")
    expect(picker).to_be_visible()
    expect(picker.locator(".wallet-option")).to_have_count(2)
    snapshot(page, "test_sign_in__wallet_picker")
    picker.get_by_role("button", name=re.compile("Other Wallet")).click()
    expect(header_account(page)).to_have_attribute("data-address", other.address)
    assert wallet.calls == []


def test_closing_the_picker_cancels(context, wallet, make_wallet):
    wallet.install(context)
    make_wallet(2, name="Other Wallet", rdns="org.example.other", legacy=False).install(context)
    page = context.new_page()
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    page.locator("[data-wallet-picker]").get_by_role("button", name="Cancel").click()
    expect(flash(page, "info")).to_contain_text("Sign-in cancelled")


def test_sign_in_page_returns_to_where_you_were_going(page, wallet):
    page.goto("/accounts/profile")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with your wallet")
    page.get_by_test_id("sign-in-page-button").click()
    expect(page).to_have_url(re.compile(r"/accounts/profile$"))
    expect(page.get_by_test_id("profile-address")).to_have_text(wallet.address)


def test_profile_edit_shows_the_display_name_in_the_header(signed_in_page, wallet):
    page = signed_in_page
    page.goto("/accounts/profile")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Save").click()
    expect(flash(page, "success")).to_have_text("Profile saved.")
    expect(header_account(page)).to_contain_text("Ada")


def test_switching_wallet_account_warns_that_the_session_is_the_old_one(signed_in_page, wallet):
    wallet.switch_account(signed_in_page, Account.from_key(DEV_KEYS[3]))
    warning = flash(signed_in_page, "warning")
    expect(warning).to_contain_text("you are signed in as")
    expect(warning).to_contain_text(Account.from_key(DEV_KEYS[3]).address)
