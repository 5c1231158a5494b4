// loader, as an async script: https://api.flocktory.com/v2/loader.js?site_id=4242
window.flocktory = window.flocktory || [];
window.flocktory.push(["addData",{"user":{"email":"anna.petrova@example.com","name":"Anna Petrova"}}]);
window.flocktory.push(["updateCart",{"cart":{"items":[]}}]);
window.flocktory.push(["trackCategoryView",{"category":{"id":"c-10"}}]);
