// loader, as an async script: https://api.flocktory.com/v2/loader.js?site_id=4242
window.flocktory = window.flocktory || [];
window.flocktory.push(["addData",{"user":{"email":"anna.petrova@example.com","name":"Anna Petrova"}}]);
window.flocktory.push(["updateCart",{"cart":{"items":[{"id":"sku-101_msk","price":2710,"count":2},{"id":"sku-104_msk","price":2740,"count":1},{"id":"sku-109_msk","price":2790,"count":2}]}}]);
