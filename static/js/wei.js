// Exact amounts: wei (or a token's base units) as BigInt, shown as decimal text. Never a float:
// 0.1 ETH is 10**17 wei, which a double cannot hold.

// 10n**16n, 18 → "0.01"; 1n → "0.000000000000000001"; 5n * 10n**18n → "5".
export function formatUnits(value, decimals = 18) {
  let amount = BigInt(value);
  const negative = amount < 0n;
  if (negative) amount = -amount;
  const base = 10n ** BigInt(decimals);
  const whole = amount / base;
  const fraction = amount % base;
  let text = whole.toString();
  if (fraction) {
    text += `.${fraction.toString().padStart(decimals, "0").replace(/0+$/, "")}`;
  }
  return negative ? `-${text}` : text;
}

// An amount with its currency: {symbol, decimals} from the quote; a token of unknown decimals
// is shown in base units rather than guessed.
export function formatAmount(value, currency = { symbol: "ETH", decimals: 18 }) {
  const symbol = currency.symbol || "tokens";
  if (currency.decimals === null || currency.decimals === undefined) {
    return `${BigInt(value)} base units of ${symbol}`;
  }
  return `${formatUnits(value, currency.decimals)} ${symbol}`;
}

export function toHexQuantity(value) {
  return `0x${BigInt(value).toString(16)}`;
}
