// loader, as an async script: https://api.flocktory.com/v2/loader.js?site_id=4242
window.flocktory = window.flocktory || [];
window.flocktory.push(["addData",{"user":{"email":"anna.petrova@example.com","name":"Anna Petrova"}}]);
window.flocktory.push(["updateCart",{"cart":{"items":[]}}]);
window.flocktory.push(["exchange",{"user":{"name":"Anna Petrova","email":"anna.petrova@example.com"},"spot":"redesign","params":{}}]);
window.flocktory.push(["postcheckout",{"user":{"name":"Anna Petrova","email":"anna.petrova@example.com"},"order":{"id":"A-1042","price":9270,"items":[{"id":"sku-1_msk","title":"Red Shoes","price":2990,"image":"https://cdn.shop.example/p/sku-1.jpg","count":2},{"id":"sku-2_msk","title":"Blue Hat","price":990,"image":"https://cdn.shop.example/p/sku-2.jpg","count":1},{"id":"3003_msk","title":"Wool Socks","price":2000,"image":"https://cdn.shop.example/p/3003.jpg","count":1}]},"spot":"redesign"}]);
