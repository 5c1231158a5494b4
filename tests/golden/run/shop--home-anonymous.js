// loader, as an async script: https://api.flocktory.com/v2/loader.js?site_id=4242
window.flocktory = window.flocktory || [];
window.flocktory.push(["updateCart",{"cart":{"items":[]}}]);
