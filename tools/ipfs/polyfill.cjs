// Node 20 lacks Promise.withResolvers, which some of js-ipfs's newer transitive deps call.
// Loaded with NODE_OPTIONS="--require <this file>" before jsipfs starts.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
